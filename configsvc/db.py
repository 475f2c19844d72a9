"""Pooled psycopg2 connections, leased with `async with`, every blocking call on an executor."""

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import Any

import psycopg2
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_UNKNOWN, connection
from psycopg2.extras import RealDictCursor
from psycopg2.pool import PoolError, ThreadedConnectionPool

from configsvc.errors import DatabaseUnavailable, PoolExhausted

log = logging.getLogger(__name__)

Row = dict[str, Any]

# Errors after which a connection's state cannot be trusted: it is closed, not reused.
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class Session:
    """One leased connection. Each call is one hop to the executor thread pool."""

    def __init__(self, conn: connection, executor: ThreadPoolExecutor) -> None:
        self.connection = conn
        self._executor = executor
        self._pending: Future[Any] | None = None

    async def call[T](self, work: Callable[[connection], T]) -> T:
        """Run `work(connection)` on the executor; the building block of every other call."""
        self._pending = self._executor.submit(work, self.connection)
        return await asyncio.wrap_future(self._pending)

    async def fetch_one(self, sql: str, params: object = None) -> Row | None:
        return await self.call(lambda conn: _fetch_one(conn, sql, params))

    async def fetch_all(self, sql: str, params: object = None) -> list[Row]:
        return await self.call(lambda conn: _fetch_all(conn, sql, params))

    async def execute(self, sql: str, params: object = None) -> int:
        return await self.call(lambda conn: _execute(conn, sql, params))

    async def commit(self) -> None:
        await self.call(lambda conn: conn.commit())

    async def rollback(self) -> None:
        await self.call(lambda conn: conn.rollback())

    @property
    def pending(self) -> Future[Any] | None:
        """The executor call still running after its awaiting task was cancelled, if any."""
        if self._pending is not None and not self._pending.done():
            return self._pending
        return None


def _fetch_one(conn: connection, sql: str, params: object) -> Row | None:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fetch_all(conn: connection, sql: str, params: object) -> list[Row]:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(conn: connection, sql: str, params: object) -> int:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


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
    ) -> None:
        self._dsn = dsn
        self._min_size = min_size
        self._max_size = max_size
        self._lease_timeout = lease_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._slots = asyncio.Semaphore(max_size)
        # A few spare threads so releases and cancels are never stuck behind queries.
        self._executor = ThreadPoolExecutor(max_workers=max_size + 4, thread_name_prefix="configsvc-db")
        self._pool: ThreadedConnectionPool | None = None

    @property
    def max_size(self) -> int:
        return self._max_size

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._pool = await loop.run_in_executor(self._executor, self._create_pool)
        except CONNECTION_ERRORS as error:
            raise DatabaseUnavailable("cannot connect to the database") from error

    def _create_pool(self) -> ThreadedConnectionPool:
        pool = ThreadedConnectionPool(
            self._min_size,
            self._max_size,
            self._dsn,
            cursor_factory=RealDictCursor,
            application_name="configsvc",
            options=f"-c timezone=UTC -c statement_timeout={self._statement_timeout_ms}",
            connect_timeout=max(1, math.ceil(self._lease_timeout)),
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
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
        self._executor.shutdown(wait=True)

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[Session]:
        """Lend one connection; it goes back rolled back, or closed if it may be broken."""
        try:
            async with asyncio.timeout(self._lease_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolExhausted(f"no database connection became free within {self._lease_timeout:g} s") from None
        try:
            conn = await self._checkout()
        except BaseException:
            self._slots.release()
            raise
        session = Session(conn, self._executor)
        discard = False
        try:
            yield session
        except CONNECTION_ERRORS as error:
            discard = True
            raise DatabaseUnavailable("the database connection failed") from error
        finally:
            # Shielded: a second cancellation must not leak the connection or the slot.
            await asyncio.shield(asyncio.ensure_future(self._release(session, discard)))

    async def _checkout(self) -> connection:
        if self._pool is None:
            raise DatabaseUnavailable("the database pool is closed")
        future = self._executor.submit(self._getconn)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # The thread may still hand us a connection after we stopped waiting for it.
            future.add_done_callback(self._return_abandoned)
            raise

    def _return_abandoned(self, future: Future[connection]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._putconn(future.result(), discard=False)

    def _getconn(self) -> connection:
        pool = self._pool
        if pool is None:
            raise DatabaseUnavailable("the database pool is closed")
        try:
            conn = pool.getconn()
        except PoolError as error:
            raise DatabaseUnavailable("the database pool is closed") from error
        except CONNECTION_ERRORS as error:
            raise DatabaseUnavailable("cannot connect to the database") from error
        if conn.closed:
            pool.putconn(conn, close=True)
            return self._getconn()
        return conn

    async def _release(self, session: Session, discard: bool) -> None:
        try:
            pending = session.pending
            if pending is not None:
                # The caller went away mid-statement: cancel it server-side and wait for
                # the thread, so the connection is never handed out while still busy.
                with suppress(psycopg2.Error):
                    session.connection.cancel()
                with suppress(BaseException):
                    await asyncio.wrap_future(pending)
                discard = discard or session.connection.closed != 0
            await asyncio.wrap_future(self._executor.submit(self._putconn, session.connection, discard))
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
