"""One LISTEN connection per process: the database's change notifications, and the sync point that
proves every change committed before it has been heard.

The connection is a psycopg2 connection in asynchronous mode, driven by the event loop's reader
callbacks: nothing on it ever blocks, so it needs neither the executor nor a pooled connection (only
opening it, which may resolve a host name, runs on the executor).

The sync point is etcd's ReadIndex idea on PostgreSQL: a round trip sent after a read arrived, whose
answer arrives only once every change visible when it was sent has been heard. A plain query does
not give that. PostgreSQL makes a commit visible (ProcArrayEndTransaction) before it signals the
listening backends (AtCommit_Notify, at the end of CommitTransaction in xact.c), and a listening
backend delivers notifications only when signalled: for a moment, a commit can be read by anyone
while a round trip on this connection still answers without its notification. A reader that saw the
new version through one process could then see the old one from another process's cache.

So a sync that must cover new commits is a NOTIFY of a marker on a channel of this connection's own,
with the snapshot it ran under: PreCommit_Notify queues entries under a lock held until after commit,
"so that queue entries appear in commit order, and there are never uncommitted queue entries ahead
of committed ones" (async.c); a transaction visible to the marker's snapshot queued its entries
before it became visible, so ahead of the marker. Our own commit makes this backend read the queue
up to the marker and deliver it in order, and the marker comes back to us: everything ahead of it
has then been heard. A NOTIFY costs a transaction id and wakes every listening backend, so while
nothing commits a plain round trip does: it returns the snapshot it ran under, and if no transaction
completed since the last marker's (apart from the marker itself), nothing became visible that the
marker did not cover.
"""

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extensions import POLL_OK, POLL_WRITE, connection

from configsvc.db import deadline
from configsvc.db.connection import connection_parameters, polled
from configsvc.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

CHANNEL = "configsvc_changes"
LISTEN = sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL))  # a channel name cannot be a bound parameter
RECONNECT_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0)  # seconds; the last repeats
# What the sync round trips send (see the module docstring); a marker channel is made per connection.
SNAPSHOT = "SELECT pg_current_snapshot()::text"
# The marker's snapshot is the statement's, taken before it runs; pg_notify queues it at commit.
MARKER = "SELECT pg_notify(%s, %s), pg_current_snapshot()::text, pg_current_xact_id()::text"


class Snapshot:
    """A pg_snapshot ('xmin:xmax:xip,...'): a transaction is visible in it when it committed with an
    id below xmax and is not listed as in progress."""

    __slots__ = ("running", "xmax")

    def __init__(self, text: str) -> None:
        _, xmax, running = text.split(":")
        self.xmax = int(xmax)
        self.running = frozenset(int(xid) for xid in running.split(",") if xid)

    def shows_nothing_new_since(self, proven: "Snapshot", marker_xid: int) -> bool:
        """Whether no transaction but the marker's completed between `proven` and this snapshot: then
        what is visible in this one was visible in `proven` (aborts count as completions)."""
        if not proven.running <= self.running:
            return False  # one that was running has completed
        started = self.xmax - proven.xmax  # transactions begun since (ids are never reused)
        if started > len(self.running) + 1:
            return False  # more than can all still be running, besides the marker
        return all(xid in self.running or xid == marker_xid for xid in range(proven.xmax, self.xmax))


class ListenerDown(Exception):
    """The listener cannot prove anything right now (not connected, or its round trip timed out)."""


class Listener:
    """`live` while connected and listening; `epoch` moves at every connect and every loss, so that
    whatever was learnt in an earlier epoch can be told from what is known now.

    `on_notification(payload)` is called for every notification, `on_reset()` whenever some may
    have been missed (connection lost, or (re)established): before `live` changes either way.
    """

    def __init__(
        self,
        dsn: str,
        *,
        on_notification: Callable[[str], None],
        on_reset: Callable[[], None],
        run_blocking: Callable[[Callable[[], Any]], Awaitable[Any]],
        timeout: float,
        statement_timeout_ms: int,
    ) -> None:
        self.live = False
        self.epoch = 0
        self.last_error: str | None = None
        self._dsn = dsn
        self._on_notification = on_notification
        self._on_reset = on_reset
        self._run_blocking = run_blocking
        self._timeout = timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._conn: connection | None = None
        self._cursor: Any = None
        self._fd = -1  # the descriptor registered with the event loop, while one is
        self._lost: asyncio.Future[None] | None = None
        self._sent: asyncio.Future[None] | None = None  # the round trip on the wire
        self._queued: asyncio.Future[None] | None = None  # the next one, for reads that came after it left
        self._marker_channel = ""
        self.round_trips = 0  # sync round trips sent, and how many of them NOTIFYed a marker
        self.markers = 0
        self._marker_sent: str | None = None  # the payload of the marker in flight
        self._marker_heard: str | None = None
        self._proven: tuple[Snapshot, int] | None = None  # the last marker's snapshot and transaction id
        self._commits_seen = True  # the last sync found commits: the next one sends a marker at once
        self._step: str | None = None  # what the round trip on the wire waits for
        self._awaiting: tuple[Snapshot, int] | None = None  # a marker's snapshot until the marker is heard
        self._task: asyncio.Task[None] | None = None
        self._closing = False

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
        """Return once a round trip sent after this call was answered (see the module docstring)."""
        if not self.live:
            raise ListenerDown("not listening")
        if self._queued is None:
            self._queued = asyncio.get_running_loop().create_future()
        waiting = self._queued
        if self._sent is None:
            self._send_queued()  # nothing on the wire: this read's round trip leaves now
        own = asyncio.timeout(self._timeout)
        try:
            async with deadline.timeout(), own:  # the reader's deadline may come first
                await asyncio.shield(waiting)
        except TimeoutError:
            if not own.expired():
                raise DatabaseUnavailable("the database did not answer in time") from None
            self._lose("the sync round trip timed out")
            raise ListenerDown("the sync round trip timed out") from None

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                await self._listen()
                attempt = 0
                assert self._lost is not None
                await self._lost
            except (psycopg2.Error, OSError, TimeoutError) as error:
                self.last_error = str(error).strip() or type(error).__name__
                log.warning("change notifications unavailable: %s; reconnecting", self.last_error)
            finally:
                self._teardown()
            await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
            attempt += 1

    async def _listen(self) -> None:
        parameters = connection_parameters(
            statement_timeout_ms=self._statement_timeout_ms,
            connect_timeout=max(1, round(self._timeout)),
            # The process id names whose listener a backend is (operators, and the tests, look it up).
            application_name=f"configsvc-listener-{os.getpid()}",
        )
        conn = await self._run_blocking(lambda: psycopg2.connect(self._dsn, async_=True, **parameters))
        self._conn = conn
        async with asyncio.timeout(self._timeout):
            await self._complete(conn)
            # psycopg2 holds an asynchronous query's cursor weakly: it must outlive the query.
            self._cursor = conn.cursor()
            self._marker_channel = f"configsvc_sync_{uuid.uuid4().hex}"
            self._cursor.execute(
                sql.SQL("{}; LISTEN {}; SET synchronous_commit = off").format(
                    LISTEN, sql.Identifier(self._marker_channel)
                )
            )
            await self._complete(conn)
            self._proven, self._commits_seen = None, True
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        # The descriptor's number is kept: libpq closes the socket itself when the server goes away,
        # and a registration left behind on the event loop would capture whatever socket is given
        # that number next (a client's connection accepted a moment later, never read again).
        self._fd = conn.fileno()
        loop.add_reader(self._fd, self._readable)
        # Whatever was cached before this moment may have missed changes: forget it, then go live.
        self.epoch += 1
        self._on_reset()
        self.live = True
        self.last_error = None
        log.info("listening for changes on %s", CHANNEL)

    async def _complete(self, conn: connection) -> None:
        """Poll until the connection (or its query) is done, then hand out what it brought."""
        await polled(conn)
        self._deliver(conn)

    def _readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            state = conn.poll()
        except psycopg2.Error as error:
            self._lose(str(error).strip())
            return
        self._deliver(conn)  # before the round trip completes: that order is the proof
        if state == POLL_WRITE:
            asyncio.get_running_loop().add_writer(self._fd, self._writable)
        elif state == POLL_OK and self._sent is not None:
            try:
                self._advance()
            except (psycopg2.Error, ValueError) as error:
                self._lose(f"the sync round trip failed: {error}")

    def _writable(self) -> None:
        conn = self._conn
        if conn is not None:
            asyncio.get_running_loop().remove_writer(self._fd)
            self._readable()

    def _advance(self) -> None:
        """The round trip in flight moved on (its query answered, or its marker heard)."""
        if self._step == "snapshot":
            snapshot = Snapshot(self._cursor.fetchone()[0])
            self._step = None
            proven = self._proven
            self._commits_seen = proven is None or not snapshot.shows_nothing_new_since(*proven)
            if self._commits_seen:
                self._send_marker()  # something committed since the last marker: prove it was heard
            else:
                self._round_trip_done()
        elif self._step == "marker":
            _, text, xid = self._cursor.fetchone()
            self._awaiting = (Snapshot(text), int(xid))
            self._step = "marker heard"
        if self._step == "marker heard" and self._marker_heard == self._marker_sent:
            assert self._awaiting is not None
            snapshot, xid = self._awaiting
            proven = self._proven
            self._commits_seen = proven is None or not snapshot.shows_nothing_new_since(*proven)
            self._proven, self._step = (snapshot, xid), None
            self._round_trip_done()

    def _round_trip_done(self) -> None:
        done, self._sent = self._sent, None
        if done is not None:
            done.set_result(None)
        if self._queued is not None:
            self._send_queued()

    def _send_queued(self) -> None:
        self._sent, self._queued = self._queued, None
        self.round_trips += 1
        if self._commits_seen or self._proven is None:
            self._send_marker()
        else:
            self._execute(SNAPSHOT, None, "snapshot")

    def _send_marker(self) -> None:
        self.markers += 1
        self._marker_sent = str(self.markers)
        self._execute(MARKER, (self._marker_channel, self._marker_sent), "marker")

    def _execute(self, query: str, params: tuple[str, str] | None, step: str) -> None:
        if self._conn is None:
            return
        try:
            self._cursor.execute(query, params)
        except psycopg2.Error as error:
            self._lose(str(error).strip())
            return
        self._step = step
        self._readable()  # the first poll flushes the query out (and may already find its answer)

    def _deliver(self, conn: connection) -> None:
        while conn.notifies:
            notify = conn.notifies.pop(0)
            if notify.channel == self._marker_channel:
                self._marker_heard = notify.payload
                continue
            try:
                self._on_notification(notify.payload)
            except Exception:
                log.exception("a change notification could not be handled; forgetting what is cached")
                self._on_reset()

    def _lose(self, reason: str) -> None:
        self.last_error = reason
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        self._teardown()

    def _teardown(self) -> None:
        """Not live from here on: forget what was learnt, fail the round trips, close the connection."""
        if self.live:
            self.epoch += 1
            self._on_reset()
        self.live = False
        for waiting in (self._sent, self._queued):
            if waiting is not None and not waiting.done():
                waiting.set_exception(ListenerDown(self.last_error or "not listening"))
                waiting.exception()  # retrieved: whoever waits raises it; nobody waiting is fine
        self._sent = self._queued = None
        self._step = self._awaiting = self._proven = None
        conn, self._conn, self._cursor = self._conn, None, None
        fd, self._fd = self._fd, -1
        if fd >= 0:
            loop = asyncio.get_running_loop()
            loop.remove_reader(fd)
            loop.remove_writer(fd)
        if conn is not None:
            with suppress(psycopg2.Error):
                conn.close()
