"""Pooled psycopg2 connections, leased with `async with`, every blocking call on an executor."""

import asyncio
import logging
import math
import re
import select
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg2
import psycopg2.errors
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_UNKNOWN, connection
from psycopg2.extras import RealDictCursor
from psycopg2.pool import PoolError, ThreadedConnectionPool

from configsvc.errors import DatabaseUnavailable, PoolExhausted

log = logging.getLogger(__name__)

Row = dict[str, Any]

# Errors after which a connection's state cannot be trusted: it is closed, not reused.
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)
# How much longer than statement_timeout a call may take before the caller stops waiting
# (the server enforces statement_timeout; this covers a server or network that went silent).
CALL_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class Prepared:
    """A hot statement, prepared once per connection (server-side) and then EXECUTEd by name.

    Written like any other statement, with `%(name)s` parameters; PostgreSQL infers their types.
    The plan is made once per connection instead of once per request.
    """

    name: str
    sql: str
    prepare_sql: str = field(init=False)
    execute_sql: str = field(init=False)

    def __post_init__(self) -> None:
        order: list[str] = []
        for parameter in re.findall(r"%\((\w+)\)s", self.sql):
            if parameter not in order:
                order.append(parameter)
        positional = re.sub(r"%\((\w+)\)s", lambda m: f"${order.index(m.group(1)) + 1}", self.sql)
        arguments = ", ".join(f"%({parameter})s" for parameter in order)
        object.__setattr__(self, "prepare_sql", f"PREPARE {self.name} AS {positional}")
        execute = f"EXECUTE {self.name} ({arguments})" if order else f"EXECUTE {self.name}"
        object.__setattr__(self, "execute_sql", execute)


Statement = str | Prepared


@dataclass(frozen=True)
class RenderedResource:
    """A resource's JSON, rendered by PostgreSQL, with the version its ETag is made of."""

    version: int
    body: bytes


@dataclass(frozen=True)
class RenderedPage:
    """A page of a list as a JSON array, with the cursor of the next page when there is one."""

    body: bytes
    next_after: str | None


class PooledConnection(connection):
    """A psycopg2 connection that remembers which statements it has prepared."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()


class Queries(Protocol):
    """What repositories need: a Session, or a Unit of Work that leases one on first use."""

    async def fetch_one(self, sql: Statement, params: object = None) -> Row | None: ...

    async def fetch_all(self, sql: Statement, params: object = None) -> list[Row]: ...

    async def execute(self, sql: Statement, params: object = None) -> int: ...


class Session:
    """One leased connection, checked out of the pool by the first call (in that call's executor
    hop, so a lease costs no round trip of its own). Each call is one hop to the executor."""

    def __init__(
        self, checkout: Callable[[], connection], executor: ThreadPoolExecutor, call_timeout: float, autocommit: bool
    ) -> None:
        self.connection: connection | None = None
        self._checkout = checkout
        self._executor = executor
        self._call_timeout = call_timeout
        self._autocommit = autocommit
        self._pending: Future[Any] | None = None
        self.abandoned = threading.Event()  # set when the caller is gone: do not start new work

    def _connected(self) -> connection:
        if self.connection is None:
            conn = self._checkout()
            # Autocommit (read-only units of work) saves the BEGIN and COMMIT round trips.
            conn.autocommit = self._autocommit
            self.connection = conn
        return self.connection

    async def call[T](self, work: Callable[[connection], T]) -> T:
        """Run `work(connection)` on the executor; the building block of every other call."""
        self._pending = self._executor.submit(self._run_unless_abandoned, work)
        try:
            async with asyncio.timeout(self._call_timeout):
                return await asyncio.wrap_future(self._pending)
        except TimeoutError:
            raise DatabaseUnavailable("the database did not answer in time") from None

    def _run_unless_abandoned[T](self, work: Callable[[connection], T]) -> T:
        conn = self._connected()
        # A caller cancelled while the checkout ran could not cancel a statement not yet sent.
        if self.abandoned.is_set():
            raise DatabaseUnavailable("the request was abandoned before its statement started")
        return work(conn)

    async def fetch_one(self, sql: Statement, params: object = None) -> Row | None:
        return await self.call(lambda conn: _fetch_one(conn, sql, params))

    async def fetch_all(self, sql: Statement, params: object = None) -> list[Row]:
        return await self.call(lambda conn: _fetch_all(conn, sql, params))

    async def execute(self, sql: Statement, params: object = None) -> int:
        return await self.call(lambda conn: _execute(conn, sql, params))

    async def commit(self) -> None:
        if self.connection is not None:
            await self.call(lambda conn: conn.commit())

    async def rollback(self) -> None:
        if self.connection is not None:
            await self.call(lambda conn: conn.rollback())

    @property
    def pending(self) -> Future[Any] | None:
        """The executor call still running after its awaiting task was cancelled, if any."""
        if self._pending is not None and not self._pending.done():
            return self._pending
        return None


def _run(cursor: Any, sql: Statement, params: object) -> None:
    if isinstance(sql, str):
        cursor.execute(sql, params)
        return
    prepared = cursor.connection.prepared
    if sql.name not in prepared:
        cursor.execute(sql.prepare_sql)
        prepared.add(sql.name)
    cursor.execute(sql.execute_sql, params)


def _fetch_one(conn: connection, sql: Statement, params: object) -> Row | None:
    with conn.cursor() as cursor:
        _run(cursor, sql, params)
        return cursor.fetchone()


def _fetch_all(conn: connection, sql: Statement, params: object) -> list[Row]:
    with conn.cursor() as cursor:
        _run(cursor, sql, params)
        return cursor.fetchall()


def _execute(conn: connection, sql: Statement, params: object) -> int:
    with conn.cursor() as cursor:
        _run(cursor, sql, params)
        return cursor.rowcount


class Pool(ThreadedConnectionPool):
    """ThreadedConnectionPool that can take an idle connection back without ever waiting.

    The pool holds its lock while it opens a new connection (up to connect_timeout), so a plain
    putconn() on the event loop could stall every request behind a slow connect.
    """

    def putconn_nowait(self, conn: connection) -> bool:
        """Put an idle connection back if the pool's lock is free right now; False otherwise."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._putconn(conn)
        finally:
            self._lock.release()
        return True


class Database:
    """A ThreadedConnectionPool guarded by an asyncio semaphore sized to its maximum.

    psycopg2's pool raises PoolError at once when exhausted; the semaphore makes callers
    wait (asynchronously, up to the lease timeout) instead, so PoolError never escapes.
    """

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int,
        max_size: int,
        lease_timeout: float,
        statement_timeout_ms: int,
        connection_factory: type[PooledConnection] = PooledConnection,
    ) -> None:
        self._dsn = dsn
        self._connection_factory = connection_factory
        self._min_size = min_size
        self._max_size = max_size
        self._lease_timeout = lease_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._slots = asyncio.Semaphore(max_size)
        # A few spare threads so releases and cancels are never stuck behind queries.
        self._executor = ThreadPoolExecutor(max_workers=max_size + 4, thread_name_prefix="configsvc-db")
        self._pool: Pool | None = None
        self._call_timeout = statement_timeout_ms / 1000 + CALL_GRACE_SECONDS

    @property
    def max_size(self) -> int:
        return self._max_size

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._pool = await loop.run_in_executor(self._executor, self._create_pool)
        except CONNECTION_ERRORS as error:
            raise DatabaseUnavailable("cannot connect to the database") from error

    def _create_pool(self) -> Pool:
        pool = Pool(
            self._min_size,
            self._max_size,
            self._dsn,
            cursor_factory=RealDictCursor,
            application_name="configsvc",
            options=f"-c timezone=UTC -c statement_timeout={self._statement_timeout_ms}",
            connect_timeout=max(1, math.ceil(self._lease_timeout)),
            # Over TCP, notice a vanished server within ~25 s even while waiting for a reply.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            connection_factory=self._connection_factory,
        )
        # The pool opens `minconn` connections up front, but putconn() also closes every
        # returned connection beyond `minconn`: raising it afterwards keeps up to max_size
        # connections warm without opening them all at start-up.
        pool.minconn = self._max_size
        return pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, pool.closeall)
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    @asynccontextmanager
    async def lease(self, *, autocommit: bool = False) -> AsyncIterator[Session]:
        """Lend one connection; it goes back rolled back, or closed if it may be broken.

        The slot is taken here (waiting asynchronously up to the lease timeout); the connection
        itself is checked out by the session's first call.
        """
        if self._pool is None:
            raise DatabaseUnavailable("the database pool is closed")
        if self._slots.locked():
            try:
                async with asyncio.timeout(self._lease_timeout):
                    await self._slots.acquire()
            except TimeoutError:
                raise PoolExhausted(f"no database connection became free within {self._lease_timeout:g} s") from None
        else:
            await self._slots.acquire()  # a free slot: taken at once, no timer needed
        session = Session(self._getconn, self._executor, self._call_timeout, autocommit)
        discard = False
        try:
            yield session
        except CONNECTION_ERRORS as error:
            discard = session.connection is not None and _connection_lost(session.connection, error)
            raise DatabaseUnavailable(_describe(error)) from error
        finally:
            if not self._release_now(session, discard):
                # Shielded: a second cancellation must not leak the connection or the slot.
                await asyncio.shield(asyncio.ensure_future(self._release(session, discard)))

    def _getconn(self) -> connection:
        pool = self._pool
        if pool is None:
            raise DatabaseUnavailable("the database pool is closed")
        for _ in range(self._max_size + 1):
            try:
                conn = pool.getconn()
            except PoolError as error:
                raise DatabaseUnavailable("the database pool is closed") from error
            except CONNECTION_ERRORS as error:
                raise DatabaseUnavailable("cannot connect to the database") from error
            if not _looks_dead(conn):
                return conn
            # Typically every idle connection after a server restart: drop each, then connect anew.
            pool.putconn(conn, close=True)
        raise DatabaseUnavailable("cannot get a working database connection")

    def _release_now(self, session: Session, discard: bool) -> bool:
        """The common release, with nothing to wait for: no call in flight and the connection idle
        (or never checked out). False when `_release` must do it."""
        if session.pending is not None:
            return False
        conn = session.connection
        if conn is not None and (discard or not self._put_back_idle(conn)):
            return False
        self._slots.release()
        return True

    def _put_back_idle(self, conn: connection) -> bool:
        """An idle connection goes back to the pool as bookkeeping with no I/O, so with no executor
        hop, unless the pool's lock is held (it may be opening a connection): False then."""
        pool = self._pool
        if pool is None:
            return False
        try:
            if conn.closed != 0 or conn.info.transaction_status != TRANSACTION_STATUS_IDLE:
                return False
            conn.autocommit = False
            return pool.putconn_nowait(conn)
        except (psycopg2.Error, PoolError):
            return False  # the slow path's _putconn looks again, and closes what it cannot return

    async def _release(self, session: Session, discard: bool) -> None:
        try:
            pending = session.pending
            if pending is not None:
                session.abandoned.set()
                # The caller went away mid-call: cancel the statement server-side and wait for
                # the thread, so the connection is never handed out while still busy.
                # PQcancel opens a connection of its own: it blocks, so it runs on the executor.
                if session.connection is not None:
                    with suppress(psycopg2.Error):
                        await asyncio.wrap_future(self._executor.submit(session.connection.cancel))
                with suppress(BaseException):
                    await asyncio.wrap_future(pending)
            conn = session.connection
            if conn is None:
                return
            discard = discard or conn.closed != 0
            if not discard and self._put_back_idle(conn):
                return
            await asyncio.wrap_future(self._executor.submit(self._putconn, conn, discard))
        finally:
            self._slots.release()

    def _putconn(self, conn: connection, discard: bool) -> None:
        if not discard and not conn.closed:
            status = conn.info.transaction_status
            if status == TRANSACTION_STATUS_UNKNOWN:
                discard = True
            elif status != TRANSACTION_STATUS_IDLE:
                try:
                    conn.rollback()
                except psycopg2.Error:
                    discard = True
        pool = self._pool
        if pool is None:
            with suppress(psycopg2.Error):
                conn.close()
            return
        try:
            pool.putconn(conn, close=discard or bool(conn.closed))
        except PoolError:
            with suppress(psycopg2.Error):
                conn.close()


def _connection_lost(conn: connection, error: Exception) -> bool:
    """Whether the connection itself failed, rather than one statement on it.

    Statement timeouts, deadlocks and serialization failures are OperationalErrors too, but
    they leave a healthy connection that only needs a rollback.
    """
    if conn.closed or isinstance(error, psycopg2.InterfaceError):
        return True
    code = getattr(error, "pgcode", None)
    return code is None or code.startswith("08")


def _describe(error: Exception) -> str:
    if isinstance(error, psycopg2.errors.QueryCanceled):
        return "a database statement took too long and was cancelled"
    if isinstance(error, psycopg2.extensions.TransactionRollbackError):
        return "the change collided with a concurrent one; retry it"
    return "the database connection failed"


def _looks_dead(conn: connection) -> bool:
    """An idle connection has nothing to read; if its socket is readable, the server closed it
    (restart, pg_terminate_backend, idle timeout). One syscall, no round trip."""
    if conn.closed:
        return True
    try:
        poller = select.poll()  # not select.select(): that fails for descriptors >= 1024
        poller.register(conn.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, psycopg2.Error):
        return True
