"""One connection per process for reads that never leave the event loop: an asynchronous
connection (`async_connection.py`), so a read on it costs no executor hop (a thread woken, the GIL
handed over and back, a pool checkout). The README gives what that saves.

It runs one statement at a time. A batch of reads that finds it busy, or not connected, takes a
pooled connection instead (`ReadSessions`), so it only ever adds to the pool, and a read never
waits for it. It is in autocommit, like every pooled read: each statement has a snapshot of its
own, taken when it arrives, after every read of its batch did.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg2.extras import RealDictCursor

from configsvc.db.async_connection import AsyncConnection, Backoff, RunBlocking
from configsvc.db.errors import translated
from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.db.statements import Reads, Row, Statement
from configsvc.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


class LoopSession:
    """The loop connection lent to one batch (`Reads`, as a pooled Session is)."""

    def __init__(self, conn: AsyncConnection, *, timeout: float) -> None:
        self.broken = False  # its state is unknown or it failed: closed when given back
        self._conn = conn
        # Every statement of the batch ends by then, as a pooled Session's do.
        self.deadline = asyncio.get_running_loop().time() + timeout

    @property
    def connection(self) -> AsyncConnection:
        return self._conn

    async def fetch_one(self, statement: Statement, params: object = None) -> Row | None:
        return (await self._run(statement, params)).fetchone()

    async def fetch_all(self, statement: Statement, params: object = None) -> list[Row]:
        return (await self._run(statement, params)).fetchall()

    async def _run(self, statement: Statement, params: object):  # type: ignore[no-untyped-def]
        if self.broken:  # an earlier statement's state is unknown: never send another after it
            raise DatabaseUnavailable("the database connection failed")
        try:
            with translated(self):
                async with asyncio.timeout_at(self.deadline):
                    return await self._conn.execute(statement, params, cursor_factory=RealDictCursor)
        except TimeoutError:
            self.broken = True
            raise DatabaseUnavailable("the database did not answer in time") from None
        except Exception:
            raise  # translated: broken only if the connection was lost
        except BaseException:  # cancelled with the statement in flight: nothing known of its state
            self.broken = True
            raise


class LoopReads:
    """The process's loop connection: `claim()` lends it to one batch at a time, `give_back()`
    returns it; it is (re)opened in the background whenever a claim finds it missing, no sooner
    than the reconnect policy allows after a failed attempt."""

    def __init__(self, dsn: str, *, run_blocking: RunBlocking, timeout: float, statement_timeout_ms: int) -> None:
        self.lendings = 0  # batches it was lent to, and attempts to connect (the tests look)
        self.attempts = 0
        self._dsn = dsn
        self._run_blocking = run_blocking
        self._timeout = timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._conn: AsyncConnection | None = None
        self._lent = False
        self._connecting: asyncio.Task[None] | None = None
        self._backoff = Backoff()
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
        if conn is not None and conn.looks_dead():  # the server went away while it was idle
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
        self.attempts += 1
        self._connecting = asyncio.ensure_future(self._connect())

    async def _connect(self) -> None:
        try:
            conn = await AsyncConnection.open(
                self._dsn,
                run_blocking=self._run_blocking,
                within=self._timeout,
                statement_timeout_ms=self._statement_timeout_ms,
                application_name="configsvc",
            )
            if self._closed or self.connected:  # closed meanwhile, or one was opened meanwhile
                conn.close()
            else:
                self._conn = conn
                self._backoff.reset()
        except Exception as error:  # psycopg2.Error, OSError, TimeoutError; any other: retried later too
            self._retry_at = asyncio.get_running_loop().time() + self._backoff.next_delay()
            log.debug("the loop read connection could not connect (reads use the pool): %s", error)
        finally:
            self._connecting = None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


class ReadSessions:
    """Where a batch of reads runs: the loop connection when it is free, a pooled one otherwise."""

    def __init__(self, database: Database, loop_reads: LoopReads | None) -> None:
        self._database = database
        self._loop_reads = loop_reads

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[Reads]:
        session = self._loop_reads.claim() if self._loop_reads is not None else None
        if session is None:
            async with Session(self._database, autocommit=True) as pooled:
                yield pooled
            return
        assert self._loop_reads is not None
        try:
            yield session
        finally:
            self._loop_reads.give_back(session)
