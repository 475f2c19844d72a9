"""The sync point: a round trip on the listening connection, sent after a read arrived, whose answer
comes only once every change visible when it was sent has been heard (etcd's ReadIndex idea, on
PostgreSQL). A cached result is served only after one.

A plain query does not give that. PostgreSQL makes a commit visible (ProcArrayEndTransaction) before
it signals the listening backends (AtCommit_Notify, at the end of CommitTransaction in xact.c), and
a listening backend delivers notifications only when signalled: for a moment a commit can be read
by anyone while a round trip on the listening connection still answers without its notification.
A reader that saw the new version through one process could then see the old one from another
process's cache.

So a round trip that must cover new commits NOTIFYs a marker on a channel of the connection's own,
and reports the snapshot it ran under: PreCommit_Notify queues notifications under a lock held until
after commit, "so that queue entries appear in commit order, and there are never uncommitted queue
entries ahead of committed ones" (async.c); a transaction visible to the marker's snapshot queued
its notifications before it became visible, so ahead of the marker. Our own commit makes our backend
read the queue up to the marker and deliver it in order, and the marker comes back: everything ahead
of it has then been heard. A NOTIFY costs a transaction id and wakes every listening backend, so
while nothing commits a plain round trip does: it returns the snapshot it ran under, and if no
transaction completed since the last marker's (apart from markers), nothing became visible that the
marker did not cover.

A marker is a transaction too, and with two processes each would see the other's markers complete
and send one of its own, for ever, even with nothing written (measured: about 3,400 transactions a
second under a read-only load on two workers). So every marker also announces its transaction id on
MARKERS_CHANNEL, which every listener hears: a completed transaction that is a marker, ours or
another process's, changed no data, and is not a reason for a marker. One not yet heard of is, as
any other transaction is.
"""

import asyncio
import contextlib
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

SNAPSHOT = "SELECT pg_current_snapshot()::text"
# Where every marker announces its transaction id; every listener hears it.
MARKERS_CHANNEL = "configsvc_sync_markers"
# The marker's snapshot is the statement's, taken before it runs; pg_notify queues it at commit.
MARKER = (
    "SELECT pg_notify(%s, %s), pg_notify('" + MARKERS_CHANNEL + "', pg_current_xact_id()::text),"
    " pg_current_snapshot()::text, pg_current_xact_id()::text"
)
# Markers' ids kept: enough for every process's markers between two of ours; past it, forget them
# all (the next round trip then sends a marker, which is never wrong).
MAX_KNOWN_MARKERS = 100_000


class Snapshot:
    """A pg_snapshot ('xmin:xmax:xip,...'): a transaction is visible in it when it committed with an
    id below xmax and is not listed as in progress."""

    __slots__ = ("running", "xmax")

    def __init__(self, text: str) -> None:
        _, xmax, running = text.split(":")
        self.xmax = int(xmax)
        self.running = frozenset(int(xid) for xid in running.split(",") if xid)

    def shows_nothing_new_since(self, proven: "Snapshot", markers: AbstractSet[int]) -> bool:
        """Whether no transaction but `markers` completed between `proven` and this snapshot: then
        what is visible in this one was visible in `proven` (aborts count as completions)."""
        if not all(xid in self.running or xid in markers for xid in proven.running):
            return False  # one that was running has completed
        started = self.xmax - proven.xmax  # transactions begun since (ids are never reused)
        if started > len(self.running) + len(markers):
            return False  # more than can all still be running, besides the markers
        return all(xid in self.running or xid in markers for xid in range(proven.xmax, self.xmax))


class SyncPoint:
    """The round trips of one listening connection, one on the wire at a time: reads that arrive
    while one is out share the next. Each read waits on a future of its own (cancelling one leaves
    the others waiting, with no `asyncio.shield` per read). `send(sql, params)` starts a query on the connection; the
    listener reports `answered(row)` when it completes and `heard(payload)` for each notification
    on `marker_channel`, which it must deliver after every notification that came before it."""

    def __init__(self, send: Callable[[str, tuple[str, str] | None], None], marker_channel: str) -> None:
        self.marker_channel = marker_channel
        self.round_trips = 0  # sent, and how many of them NOTIFYed a marker
        self.markers = 0
        self._send = send
        self._sent: list[asyncio.Future[None]] | None = None  # who waits for the round trip on the wire
        self._queued: list[asyncio.Future[None]] | None = None  # for the next one: reads that came after it left
        self._step: str | None = None  # what the round trip on the wire waits for
        self._marker_sent: str | None = None
        self._marker_heard: str | None = None
        self._awaiting: tuple[Snapshot, int] | None = None  # a marker's snapshot until the marker is heard
        self._proven: Snapshot | None = None  # the last marker's snapshot
        self._markers: set[int] = set()  # transaction ids of markers (ours, and those announced)
        self._commits_seen = True  # the last round trip found commits: the next one sends a marker at once

    @property
    def query_on_the_wire(self) -> bool:
        return self._step in ("snapshot", "marker")

    def request(self) -> asyncio.Future[None]:
        """A future answered once a round trip that leaves from now on has proven what it must."""
        loop = asyncio.get_running_loop()
        waiting: asyncio.Future[None] = loop.create_future()
        if self._queued is not None:
            self._queued.append(waiting)
            return waiting
        self._queued = [waiting]
        if self._sent is None:
            # Nothing on the wire: it leaves once the reads already made ready in this turn of the
            # loop (requests that came in one read of the sockets) have asked too, and shares it.
            loop.call_soon(self._send_if_idle)
        return waiting

    def answered(self, row: tuple[Any, ...]) -> None:
        """The query on the wire answered with `row`."""
        if self._step == "snapshot":
            snapshot = Snapshot(row[0])
            self._step = None
            self._commits_seen = self._proven is None or not snapshot.shows_nothing_new_since(
                self._proven, self._markers
            )
            if self._commits_seen:
                self._send_marker()  # something committed since the last marker: prove it was heard
            else:
                self._done()
        elif self._step == "marker":
            _, _, text, xid = row
            self._awaiting = (Snapshot(text), int(xid))
            self.announced(xid)
            self._step = "marker heard"
            self._prove()

    def heard(self, payload: str) -> None:
        self._marker_heard = payload
        self._prove()

    def announced(self, payload: str) -> None:
        """A marker's transaction id, heard on MARKERS_CHANNEL (another process's, or ours)."""
        if len(self._markers) >= MAX_KNOWN_MARKERS:
            self._markers.clear()
        with contextlib.suppress(ValueError):  # not a marker's
            self._markers.add(int(payload))

    def fail(self, error: Exception) -> None:
        """The connection is gone: every round trip waiting fails with `error`."""
        for waiting in (*(self._sent or ()), *(self._queued or ())):
            if not waiting.done():  # else its reader gave up (cancelled, or timed out)
                waiting.set_exception(error)
                waiting.exception()  # retrieved: whoever waits raises it; nobody waiting is fine
        self._sent = self._queued = None
        self._step = None

    def _prove(self) -> None:
        if self._step != "marker heard" or self._marker_heard != self._marker_sent:
            return
        assert self._awaiting is not None
        snapshot, xid = self._awaiting
        # Whether commits came between the last two markers: then the next round trip sends a
        # marker at once rather than a plain one that would find them (a guess either way: a plain
        # round trip that finds commits sends a marker after it).
        self._commits_seen = self._proven is not None and not snapshot.shows_nothing_new_since(
            self._proven, self._markers
        )
        self._proven, self._step = snapshot, None
        # What the proven snapshot settles is never asked about again: below its xmax, not running.
        self._markers = {marker for marker in self._markers if marker >= snapshot.xmax or marker in snapshot.running}
        self._markers.add(xid)
        self._done()

    def _done(self) -> None:
        done, self._sent = self._sent, None
        for waiting in done or ():
            if not waiting.done():  # else its reader gave up (cancelled, or timed out)
                waiting.set_result(None)
        if self._queued is not None:
            self._send_queued()

    def _send_if_idle(self) -> None:
        if self._sent is None and self._queued is not None:  # else sent already, or failed
            self._send_queued()

    def _send_queued(self) -> None:
        self._sent, self._queued = self._queued, None
        self.round_trips += 1
        if self._commits_seen or self._proven is None:
            self._send_marker()
        else:
            self._step = "snapshot"
            self._send(SNAPSHOT, None)

    def _send_marker(self) -> None:
        self.markers += 1
        self._marker_sent = str(self.markers)
        self._step = "marker"
        self._send(MARKER, (self.marker_channel, self._marker_sent))
