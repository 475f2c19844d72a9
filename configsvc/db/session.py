"""One leased connection: the calls of one unit of work or one read, each one hop to the executor."""

import asyncio
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import psycopg2
from psycopg2.extensions import connection

from configsvc.db.connection import connection_lost
from configsvc.db.errors import translate
from configsvc.db.statements import Row, Statement, run
from configsvc.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from configsvc.db.pool import Database


class Session:
    """Checks its connection out of the pool in its first call's hop, so a lease costs no hop of its
    own; a deferred lease also waits for its pool slot only then (see `Database.lease`).

    Driver errors leave here as domain errors (`configsvc.db.errors`); one that broke the
    connection marks the session `broken`, and its connection is closed instead of reused.

    All of a session's waits (its pool slot, its calls, its commit) end by one `deadline`, set when
    the first of them begins: DB_STATEMENT_TIMEOUT_MS + 2 s for the whole unit of work.
    """

    def __init__(self, database: "Database", *, autocommit: bool) -> None:
        self.connection: connection | None = None
        self.holds_slot = False
        self.broken = False
        self.abandoned = threading.Event()  # set when the caller is gone: do not start new work
        self._database = database
        self._autocommit = autocommit
        self._pending: Future[Any] | None = None
        self.deadline: float | None = None  # the event loop's time by which every wait ends

    def start_clock(self) -> float:
        """The session's deadline, set now if this is its first wait."""
        if self.deadline is None:
            self.deadline = asyncio.get_running_loop().time() + self._database.call_timeout
        return self.deadline

    async def call[T](self, work: Callable[[connection], T]) -> T:
        """Run `work(connection)` on the executor; the building block of every other call."""
        deadline = self.start_clock()
        if not self.holds_slot:
            await self._database.take_slot(until=deadline)
            self.holds_slot = True
        self._pending = self._database.executor.submit(self._run_unless_abandoned, work)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.wrap_future(self._pending)
        except TimeoutError:
            self.broken = True
            self.sever()
            raise DatabaseUnavailable("the database did not answer in time") from None
        except psycopg2.Error as error:
            self.broken = self.broken or connection_lost(self.connection, error)
            domain_error = translate(error)
            if domain_error is error:
                raise
            raise domain_error from error

    def sever(self) -> None:
        """Shut the connection's socket down under the thread still waiting on it: the server went
        silent, and the thread (and the pool slot) would otherwise wait for TCP to give up. The
        call fails at once, and the connection is closed when it comes back."""
        conn = self.connection
        if conn is None or conn.closed:
            return
        with suppress(OSError, psycopg2.Error):
            sock = socket.socket(fileno=os.dup(conn.fileno()))
            try:
                sock.shutdown(socket.SHUT_RDWR)
            finally:
                sock.close()

    def _run_unless_abandoned[T](self, work: Callable[[connection], T]) -> T:
        if self.connection is None:
            conn = self._database.checkout()
            # Autocommit (reads) saves the BEGIN and COMMIT round trips.
            conn.autocommit = self._autocommit
            self.connection = conn
        # A caller cancelled while the checkout ran could not cancel a statement not yet sent.
        if self.abandoned.is_set():
            raise DatabaseUnavailable("the request was abandoned before its statement started")
        return work(self.connection)

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


def _fetch_one(conn: connection, sql: Statement, params: object) -> Row | None:
    with conn.cursor() as cursor:
        run(cursor, sql, params)
        return cursor.fetchone()


def _fetch_all(conn: connection, sql: Statement, params: object) -> list[Row]:
    with conn.cursor() as cursor:
        run(cursor, sql, params)
        return cursor.fetchall()


def _execute(conn: connection, sql: Statement, params: object) -> int:
    with conn.cursor() as cursor:
        run(cursor, sql, params)
        return cursor.rowcount
