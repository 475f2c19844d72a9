"""One lease of a pooled connection: the calls of one unit of work or one read, each one hop to the
executor, and the lease's own slot, checkout and release."""

import asyncio
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from types import TracebackType
from typing import Any, Self

import psycopg2
from psycopg2.extensions import connection

from configsvc.db.errors import translated
from configsvc.db.pool import Database
from configsvc.db.statements import Row, Statement, run
from configsvc.errors import DatabaseUnavailable


class Session:
    """`async with Session(database) as session`: one connection, rolled back when given back (or
    closed if it may be broken).

    The pool slot is taken on entry (waiting asynchronously up to the lease timeout), or with
    `deferred` at the first call, so that a unit of work whose request turns out invalid never
    waits for one; the connection is checked out in the first call's executor hop, so a lease costs
    no hop of its own. All of a session's waits (its slot, its calls, its commit) end by one
    `deadline`, set when the first of them begins: DB_STATEMENT_TIMEOUT_MS + 2 s in all.

    Driver errors leave as domain errors (`db/errors.py`); one that broke the connection marks the
    session `broken`, and its connection is closed instead of reused.
    """

    def __init__(self, database: Database, *, autocommit: bool = False, deferred: bool = False) -> None:
        self.connection: connection | None = None
        self.broken = False
        self.abandoned = threading.Event()  # set when the caller is gone: do not start new work
        self.deadline: float | None = None  # the event loop's time by which every wait ends
        self._database = database
        self._autocommit = autocommit
        self._deferred = deferred
        self._holds_slot = False
        self._pending: Future[Any] | None = None

    async def __aenter__(self) -> Self:
        if not self._database.is_open:
            raise DatabaseUnavailable("the database pool is closed")
        if not self._deferred:
            await self._take_slot()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._release_now():
            await self._released_soon()

    async def call[T](self, work: Callable[[connection], T]) -> T:
        """Run `work(connection)` on the executor; the building block of every other call."""
        if not self._holds_slot:
            await self._take_slot()
        deadline = self._start_clock()
        self._pending = self._database.executor.submit(self._run_unless_abandoned, work)
        try:
            with translated(self):
                async with asyncio.timeout_at(deadline):
                    return await asyncio.wrap_future(self._pending)
        except TimeoutError:
            self.broken = True
            self.sever()
            raise DatabaseUnavailable("the database did not answer in time") from None

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
    def holds_slot(self) -> bool:
        return self._holds_slot

    @property
    def pending(self) -> Future[Any] | None:
        """The executor call still running after its awaiting task was cancelled, if any."""
        if self._pending is not None and not self._pending.done():
            return self._pending
        return None

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

    def _start_clock(self) -> float:
        if self.deadline is None:
            self.deadline = asyncio.get_running_loop().time() + self._database.call_timeout
        return self.deadline

    async def _take_slot(self) -> None:
        await self._database.take_slot(until=self._start_clock())
        self._holds_slot = True

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

    def _release_now(self) -> bool:
        """The common release, with nothing to wait for: no call in flight and the connection idle
        (or never checked out). False when `_release` must do it."""
        if not self._holds_slot:
            return True
        if self.pending is not None:
            return False
        if self.connection is not None and (self.broken or not self._database.put_back_now(self.connection)):
            return False
        self._holds_slot = False
        self._database.give_slot()
        return True

    async def _released_soon(self) -> None:
        """Release in a task of its own (shielded: a second cancellation must not leak the connection
        or the slot), waited for until the deadline at most: a connection that stopped answering
        goes back, or is closed, in the background, and the response does not wait for it."""
        release = asyncio.ensure_future(self._release())
        self._database.in_background(release)
        with suppress(TimeoutError):
            async with asyncio.timeout_at(max(self._start_clock(), asyncio.get_running_loop().time() + 0.1)):
                await asyncio.shield(release)

    async def _release(self) -> None:
        database = self._database
        try:
            pending = self.pending
            if pending is not None:
                self.abandoned.set()
                # The caller went away mid-call: cancel the statement server-side and wait for
                # the thread, so the connection is never handed out while still busy.
                # PQcancel opens a connection of its own: it blocks, so it runs on the executor.
                if self.connection is not None:
                    with suppress(psycopg2.Error):
                        await asyncio.wrap_future(database.executor.submit(self.connection.cancel))
                with suppress(BaseException):
                    await asyncio.wrap_future(pending)
            if self.connection is not None:
                await asyncio.wrap_future(database.executor.submit(database.put_back, self.connection, self.broken))
        finally:
            self._holds_slot = False
            database.give_slot()


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
