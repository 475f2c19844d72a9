"""The pool: psycopg2's ThreadedConnectionPool (RealDictCursor), the executor every blocking call
runs on, and the slots that make callers wait for a connection instead of failing. A `Session`
(session.py) leases from it; the pool knows nothing of sessions."""

import asyncio
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import psycopg2
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_UNKNOWN, connection
from psycopg2.extras import RealDictCursor
from psycopg2.pool import PoolError, ThreadedConnectionPool

from configsvc.db.connection import CONNECTION_ERRORS, Connection, connection_parameters, looks_dead
from configsvc.errors import DatabaseUnavailable, PoolExhausted

# How much longer than statement_timeout a call may take before the caller stops waiting
# (the server enforces statement_timeout; this covers a server or network that went silent).
CALL_GRACE_SECONDS = 2.0


class Pool(ThreadedConnectionPool):
    """ThreadedConnectionPool that can take an idle connection back without ever waiting.

    The pool holds its lock while it opens a new connection (up to connect_timeout), so a plain
    putconn() on the event loop could stall every request behind a slow connect.
    """

    @property
    def idle_count(self) -> int:
        """Open connections not handed out (a glance for the metrics; no lock needed for a len)."""
        return len(self._pool)

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

    psycopg2's pool raises PoolError at once when exhausted; the slots make callers wait
    (asynchronously, up to the lease timeout) instead, so PoolError never escapes.
    """

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int,
        max_size: int,
        lease_timeout: float,
        statement_timeout_ms: int,
        connection_factory: type[Connection] = Connection,
    ) -> None:
        self._dsn = dsn
        self._connection_factory = connection_factory
        self._min_size = min_size
        self._max_size = max_size
        self._lease_timeout = lease_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._slots = asyncio.Semaphore(max_size)
        # A few spare threads so releases and cancels are never stuck behind queries.
        self.executor = ThreadPoolExecutor(max_workers=max_size + 4, thread_name_prefix="configsvc-db")
        # How long a session may wait on the database in all: slot, calls, commit.
        self.call_timeout = statement_timeout_ms / 1000 + CALL_GRACE_SECONDS
        self._pool: Pool | None = None
        self.leased = 0  # pool slots taken right now
        self._background: set[asyncio.Task[None]] = set()
        # Told how long each lease waited for its slot (the metrics' histogram), when set.
        self.on_wait: Callable[[float], None] | None = None

    @property
    def idle(self) -> int:
        return 0 if self._pool is None else self._pool.idle_count

    @property
    def max_size(self) -> int:
        return self._max_size

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._pool = await loop.run_in_executor(self.executor, self._create_pool)
        except CONNECTION_ERRORS as error:
            raise DatabaseUnavailable("cannot connect to the database") from error

    def _create_pool(self) -> Pool:
        pool = Pool(
            self._min_size,
            self._max_size,
            self._dsn,
            cursor_factory=RealDictCursor,
            connection_factory=self._connection_factory,
            **connection_parameters(
                statement_timeout_ms=self._statement_timeout_ms,
                connect_timeout=max(1, math.ceil(self._lease_timeout)),
                application_name="configsvc",
            ),
        )
        # The pool opens `minconn` connections up front, but putconn() also closes every
        # returned connection beyond `minconn`: raising it afterwards keeps up to max_size
        # connections warm without opening them all at start-up.
        pool.minconn = self._max_size
        return pool

    async def close(self) -> None:
        if self._background:  # connections still going back (a bounded wait: they may never answer)
            await asyncio.wait(set(self._background), timeout=self.call_timeout)
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(self.executor, pool.closeall)
        await asyncio.to_thread(self.executor.shutdown, wait=True)

    def in_background(self, task: asyncio.Task[None]) -> None:
        """Keep `task` (a connection going back) until done; `close` waits for it, a while."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def take_slot(self, *, until: float | None = None) -> None:
        """Wait for a pool slot, up to the lease timeout (and at most until `until`, a deadline)."""
        if self._pool is None:
            raise DatabaseUnavailable("the database pool is closed")
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken at once, no timer needed
            self.leased += 1
            if self.on_wait is not None:
                self.on_wait(0.0)
            return
        started = asyncio.get_running_loop().time()
        give_up = started + self._lease_timeout if until is None else min(started + self._lease_timeout, until)
        try:
            async with asyncio.timeout_at(give_up):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolExhausted(f"no database connection became free within {self._lease_timeout:g} s") from None
        finally:
            if self.on_wait is not None:
                self.on_wait(asyncio.get_running_loop().time() - started)
        self.leased += 1

    def give_slot(self) -> None:
        self.leased -= 1
        self._slots.release()

    def checkout(self) -> connection:
        """A working connection from the pool (on the executor: it may have to connect)."""
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
            if not looks_dead(conn):
                return conn
            # Typically every idle connection after a server restart: drop each, then connect anew.
            pool.putconn(conn, close=True)
        raise DatabaseUnavailable("cannot get a working database connection")

    def put_back_now(self, conn: connection) -> bool:
        """Take back an idle connection on the event loop, with no I/O, if the pool's lock is free
        right now (it may be opening a connection); False when `put_back` must do it."""
        pool = self._pool
        try:
            if pool is None or conn.closed or conn.info.transaction_status != TRANSACTION_STATUS_IDLE:
                return False
            conn.autocommit = False
            return pool.putconn_nowait(conn)
        except (psycopg2.Error, PoolError):
            return False  # `put_back` looks again, and closes what it cannot return

    def put_back(self, conn: connection, discard: bool) -> None:
        """On the executor: roll back what is open, then return the connection, or close it."""
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
        try:
            if pool is None:
                raise PoolError("the pool is closed")
            if not discard and not conn.closed:
                conn.autocommit = False
            pool.putconn(conn, close=discard or bool(conn.closed))
        except (PoolError, psycopg2.Error):
            with suppress(psycopg2.Error):
                conn.close()
