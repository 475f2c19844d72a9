"""One LISTEN connection per process: the database's change notifications, and the sync point that
proves every change committed before it has been heard (`sync_point.py`).

The connection is asynchronous (`async_connection.py`): driven by the event loop's reader callback,
it needs neither the executor nor a pooled connection. It reconnects by itself; every connect and
every loss is reported (`on_reset`), since notifications may have been missed in between.
"""

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from contextlib import suppress

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import POLL_OK, POLL_WRITE

from configsvc.db import deadline
from configsvc.db.async_connection import AsyncConnection, Backoff, RunBlocking
from configsvc.db.sync_point import MARKERS_CHANNEL, SyncPoint
from configsvc.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

CHANNEL = "configsvc_changes"


class ListenerDown(Exception):
    """The listener cannot prove anything right now (not connected, or its round trip timed out)."""


class _Expired(Exception):
    """A sync round trip's wait ran out of time."""


def _expire(waiting: "asyncio.Future[None]") -> None:
    if not waiting.done():
        waiting.set_exception(_Expired())


class Listener:
    """`live` while connected and listening; `epoch` moves at every connect and every loss, so that
    whatever was learnt in an earlier epoch can be told from what is known now.

    A subscriber's `on_notification(payload)` is called for every notification, its `on_reset()`
    whenever some may have been missed (connection lost, or (re)established): before `live`
    changes either way.
    """

    def __init__(
        self,
        dsn: str,
        *,
        run_blocking: RunBlocking,
        timeout: float,
        statement_timeout_ms: int,
    ) -> None:
        self.live = False
        self.epoch = 0
        self.last_error: str | None = None
        self.sync: SyncPoint | None = None  # the current connection's
        self._dsn = dsn
        self._subscribers: list[tuple[Callable[[str], None], Callable[[], None]]] = []
        self._run_blocking = run_blocking
        self._timeout = timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._conn: AsyncConnection | None = None
        self._lost: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def subscribe(self, on_notification: Callable[[str], None], on_reset: Callable[[], None]) -> None:
        self._subscribers.append((on_notification, on_reset))

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def wait_live(self, seconds: float) -> bool:
        """Wait up to `seconds` for the listener to be live (start-up); whether it is."""
        try:
            async with asyncio.timeout(seconds):
                while not self.live:
                    if self._task is None or self._task.done():
                        return False
                    await asyncio.sleep(0.005)
        except TimeoutError:
            pass
        return self.live

    async def stop(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def synced(self) -> None:
        """Return once a round trip sent after this call has proven that every change visible when
        it left has been heard (`sync_point.py`). Within the listener's timeout, or the deadline in
        force if that comes first (then DatabaseUnavailable, and the connection is kept)."""
        if not self.live or self.sync is None:
            raise ListenerDown("not listening")
        waiting = self.sync.request()  # this read's own future: nothing else waits on it
        loop = asyncio.get_running_loop()
        own = loop.time() + self._timeout
        enclosing = deadline.at()
        ours = enclosing is None or own <= enclosing
        # One timer, not asyncio.timeout (nor two: the deadline's and ours): every cached read waits here.
        timer = loop.call_at(own if ours else enclosing, _expire, waiting)  # type: ignore[arg-type]
        try:
            await waiting
        except _Expired:
            if not ours:
                raise DatabaseUnavailable("the database did not answer in time") from None
            self.lose("the sync round trip timed out")
            raise ListenerDown("the sync round trip timed out") from None
        finally:
            timer.cancel()

    def lose(self, reason: str) -> None:
        """Give the connection up (it failed, or stopped answering): reconnect."""
        self.last_error = reason
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        self._teardown()

    async def _run(self) -> None:
        backoff = Backoff()
        while not self._closing:
            try:
                await self._listen()
                backoff.reset()
                assert self._lost is not None
                await self._lost
            except (psycopg2.Error, OSError, TimeoutError) as error:
                self.last_error = str(error).strip() or type(error).__name__
                log.warning("change notifications unavailable: %s; reconnecting", self.last_error)
            finally:
                self._teardown()
            await asyncio.sleep(backoff.next_delay())

    async def _listen(self) -> None:
        conn = await AsyncConnection.open(
            self._dsn,
            run_blocking=self._run_blocking,
            within=self._timeout,
            statement_timeout_ms=self._statement_timeout_ms,
            # The process id names whose listener a backend is (operators, and the tests, look it up).
            application_name=f"configsvc-listener-{os.getpid()}",
        )
        self._conn = conn
        marker_channel = f"configsvc_sync_{uuid.uuid4().hex}"
        # A channel name cannot be a bound parameter. The markers' commits need not wait for a disk
        # or a standby: they carry no data.
        listen = sql.SQL("LISTEN {}; LISTEN {}; LISTEN {}; SET synchronous_commit = off").format(
            sql.Identifier(CHANNEL), sql.Identifier(marker_channel), sql.Identifier(MARKERS_CHANNEL)
        )
        async with asyncio.timeout(self._timeout):
            await conn.execute(listen)
        self._deliver(conn)
        self.sync = SyncPoint(self._send, marker_channel)
        self._lost = asyncio.get_running_loop().create_future()
        conn.on_readable(self._readable)
        # Whatever was cached before this moment may have missed changes: forget it, then go live.
        self.epoch += 1
        self._reset()
        self.live = True
        self.last_error = None
        log.info("listening for changes on %s", CHANNEL)

    def _send(self, query: str, params: tuple[str, str] | None) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            conn.send(query, params)
        except psycopg2.Error as error:
            self.lose(str(error).strip())
            return
        self._readable()  # the first poll flushes the query out (and may already find its answer)

    def _readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            state = conn.poll()
        except psycopg2.Error as error:
            self.lose(str(error).strip())
            return
        self._deliver(conn)  # before the round trip completes: that order is the proof
        if state == POLL_WRITE:
            conn.on_writable(self._writable)
        elif state == POLL_OK and self.sync is not None and self.sync.query_on_the_wire:
            try:
                assert conn.cursor is not None
                self.sync.answered(conn.cursor.fetchone())
            except (psycopg2.Error, ValueError) as error:
                self.lose(f"the sync round trip failed: {error}")

    def _writable(self) -> None:
        conn = self._conn
        if conn is not None:
            conn.on_writable(None)
            self._readable()

    def _deliver(self, conn: AsyncConnection) -> None:
        for notification in conn.take_notifications():
            if self.sync is not None and notification.channel == self.sync.marker_channel:
                self.sync.heard(notification.payload)
                continue
            if notification.channel == MARKERS_CHANNEL:
                if self.sync is not None:
                    self.sync.announced(notification.payload)
                continue
            for on_notification, on_reset in self._subscribers:
                try:
                    on_notification(notification.payload)
                except Exception:
                    log.exception("a change notification could not be handled; forgetting what was learnt")
                    on_reset()

    def _reset(self) -> None:
        for _, on_reset in self._subscribers:
            on_reset()

    def _teardown(self) -> None:
        """Not live from here on: forget what was learnt, fail the round trips, close the connection."""
        if self.live:
            self.epoch += 1
            self._reset()
        self.live = False
        if self.sync is not None:
            self.sync.fail(ListenerDown(self.last_error or "not listening"))
            self.sync = None
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
