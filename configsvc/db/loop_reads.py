"""One connection per process for reads that never leave the event loop: psycopg2's asynchronous
mode, polled by the loop's reader callbacks, so a read on it costs no executor hop (a thread woken,
the GIL handed over and back, a pool checkout). In process (uvloop, 1,000 reads each way), one
uncached read measured 476 us of CPU on it against 579 through the pool, and a batch of ten
concurrent misses 694 against 1,456.

It runs one statement at a time. A batch of reads that finds it busy, or not connected, takes a
pooled connection instead (`views/reader.py`), so it only ever adds to the pool, and a read never
waits for it. Asynchronous connections are in autocommit, like every pooled read: each statement has
a snapshot of its own, taken when it arrives, after every read of its batch did.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import psycopg2
from psycopg2.extras import RealDictCursor

from configsvc.db.connection import PooledConnection, connection_lost, connection_parameters, looks_dead, polled
from configsvc.db.errors import translate
from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.db.statements import Prepared, Row, Statement
from configsvc.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# After a failed connect, reads use the pool for this long before the next attempt.
RETRY_SECONDS = 1.0


class LoopSession:
    """The connection lent to one batch: the `fetch_one`/`fetch_all` of a pooled `Session`."""

    def __init__(self, conn: PooledConnection, *, timeout: float) -> None:
        self.connection = conn
        self.broken = False  # its state is unknown or it failed: closed when given back
        # Every statement of the batch ends by then, as a pooled Session's do.
        self.deadline = asyncio.get_running_loop().time() + timeout

    async def fetch_one(self, statement: Statement, params: object = None) -> Row | None:
        return (await self._run(statement, params)).fetchone()

    async def fetch_all(self, statement: Statement, params: object = None) -> list[Row]:
        return (await self._run(statement, params)).fetchall()

    async def _run(self, statement: Statement, params: object) -> Any:
        conn = self.connection
        if self.broken:  # an earlier statement's state is unknown: never send another after it
            raise DatabaseUnavailable("the database connection failed")
        # psycopg2 holds an asynchronous query's cursor weakly: this reference keeps it for the query.
        cursor = conn.cursor(cursor_factory=RealDictCursor)
        try:
            async with asyncio.timeout_at(self.deadline):
                if isinstance(statement, Prepared):
                    if statement.name not in conn.prepared:
                        cursor.execute(statement.prepare_sql)
                        await polled(conn)
                        conn.prepared.add(statement.name)
                    cursor.execute(statement.execute_sql, params)
                else:
                    cursor.execute(statement, params)
                await polled(conn)
        except TimeoutError:
            self.broken = True
            raise DatabaseUnavailable("the database did not answer in time") from None
        except psycopg2.Error as error:
            self.broken = self.broken or connection_lost(conn, error)
            domain_error = translate(error)
            if domain_error is error:
                raise
            raise domain_error from error
        except BaseException:  # cancelled with the statement in flight: nothing known of its state
            self.broken = True
            raise
        return cursor


class LoopReads:
    """The process's loop connection: `claim()` lends it to one batch at a time, `give_back()`
    returns it; it is (re)opened in the background whenever a claim finds it missing."""

    def __init__(
        self,
        dsn: str,
        *,
        run_blocking: Callable[[Callable[[], Any]], Awaitable[Any]],
        timeout: float,
        statement_timeout_ms: int,
    ) -> None:
        self.lendings = 0  # batches it was lent to (the tests look)
        self._dsn = dsn
        self._run_blocking = run_blocking
        self._timeout = timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._conn: PooledConnection | None = None
        self._lent = False
        self._connecting: asyncio.Task[None] | None = None
        self._retry_at = 0.0
        self._closed = False

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def claim(self) -> LoopSession | None:
        """The connection for one batch's statements, or None (lent, not connected, or dead: use
        the pool); a missing or dead connection is replaced in the background."""
        if self._lent or self._closed:
            return None
        conn = self._conn
        if conn is not None and looks_dead(conn):  # the server went away while it was idle
            self._drop()
            conn = None
        if conn is None:
            self._connect_soon()
            return None
        self._lent = True
        self.lendings += 1
        return LoopSession(conn, timeout=self._timeout)

    def give_back(self, session: LoopSession) -> None:
        self._lent = False
        failed = session.broken or self._closed or session.connection.closed
        if failed and self._conn is session.connection:
            self._drop()

    async def wait_connected(self, seconds: float) -> bool:
        """Start connecting and wait up to `seconds` for it (start-up, tests); whether it is."""
        if not self.connected:
            self._connect_soon()
        if self._connecting is not None:
            try:
                async with asyncio.timeout(seconds):
                    await asyncio.shield(self._connecting)
            except TimeoutError:
                pass
        return self.connected

    async def close(self) -> None:
        self._closed = True
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if not self._lent:
            self._drop()  # a lent one is closed when given back

    def _connect_soon(self) -> None:
        if self._connecting is not None or self._closed:
            return
        if asyncio.get_running_loop().time() < self._retry_at:
            return
        self._connecting = asyncio.ensure_future(self._connect())

    async def _connect(self) -> None:
        try:
            conn = await self._run_blocking(self._open)  # name resolution may block
            try:
                async with asyncio.timeout(self._timeout):
                    await polled(conn)
            except BaseException:
                conn.close()
                raise
            if self._closed or self.connected:  # closed meanwhile, or one was opened meanwhile
                conn.close()
            else:
                self._conn = conn
        except Exception as error:  # psycopg2.Error, OSError, TimeoutError; any other: retried later too
            self._retry_at = asyncio.get_running_loop().time() + RETRY_SECONDS
            log.debug("the loop read connection could not connect (reads use the pool): %s", error)
        finally:
            self._connecting = None

    def _open(self) -> PooledConnection:
        return psycopg2.connect(
            self._dsn,
            async_=True,
            connection_factory=PooledConnection,
            **connection_parameters(
                statement_timeout_ms=self._statement_timeout_ms,
                connect_timeout=max(1, round(self._timeout)),
                application_name="configsvc",
            ),
        )

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(psycopg2.Error):
                conn.close()


class ReadSessions:
    """Where a batch of reads runs: the loop connection when it is free, a pooled one otherwise
    (`lease` as `Database.lease` has it, for `views/batches.py`)."""

    def __init__(self, database: Database, loop_reads: LoopReads | None) -> None:
        self._database = database
        self._loop_reads = loop_reads

    @asynccontextmanager
    async def lease(self, *, autocommit: bool = True) -> AsyncIterator[LoopSession | Session]:
        session = self._loop_reads.claim() if self._loop_reads is not None and autocommit else None
        if session is None:
            async with self._database.lease(autocommit=autocommit) as pooled:
                yield pooled
            return
        assert self._loop_reads is not None
        try:
            yield session
        finally:
            self._loop_reads.give_back(session)
