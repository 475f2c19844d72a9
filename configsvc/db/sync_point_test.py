"""The sync point's round trips without a database: what it sends, and when a request is answered."""

import asyncio

import pytest

from configsvc.db.sync_point import MARKER, SNAPSHOT, Snapshot, SyncPoint

pytestmark = pytest.mark.anyio


class Wire:
    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[str, str] | None]] = []

    def send(self, query: str, params: tuple[str, str] | None) -> None:
        self.sent.append((query, params))


async def asked(point: SyncPoint) -> asyncio.Future[None]:
    """A request, and the turn of the loop at whose end a round trip leaves if none is out."""
    waiting = point.request()
    await asyncio.sleep(0)
    return waiting


def proven(point: SyncPoint, wire: Wire, snapshot: str, xid: int) -> None:
    """Answer the marker on the wire, and hear it."""
    query, params = wire.sent[-1]
    assert query == MARKER
    point.answered(("", "", snapshot, str(xid)))
    assert params is not None
    point.heard(params[1])


def test_a_snapshot_shows_nothing_new_only_while_no_transaction_but_markers_completed():
    marker_proven = Snapshot("100:105:100,103")
    mine = {105}
    assert Snapshot("100:105:100,103").shows_nothing_new_since(marker_proven, mine)
    assert Snapshot("100:106:100,103").shows_nothing_new_since(marker_proven, mine)  # the marker itself
    assert Snapshot("100:107:100,103,106").shows_nothing_new_since(marker_proven, mine)  # 106 still running
    assert not Snapshot("100:107:100,103").shows_nothing_new_since(marker_proven, mine)  # 106 completed
    assert not Snapshot("100:105:100").shows_nothing_new_since(marker_proven, mine)  # 103 completed
    assert not Snapshot("104:106:104").shows_nothing_new_since(marker_proven, mine)  # 100 and 103 completed
    assert not Snapshot("100:900:100,103").shows_nothing_new_since(marker_proven, mine)
    # Another process's markers, announced: they changed no data, wherever they fall.
    assert Snapshot("100:107:100,103").shows_nothing_new_since(marker_proven, {105, 106})
    assert Snapshot("100:105:100").shows_nothing_new_since(marker_proven, {103, 105})
    assert not Snapshot("100:108:100,103").shows_nothing_new_since(marker_proven, {105, 106})  # 107 is not one


async def test_the_first_round_trip_is_a_marker_answered_only_once_the_marker_is_heard():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    waiting = await asked(point)
    assert wire.sent == [(MARKER, ("mine", "1"))]

    point.answered(("", "", "10:12:10", "12"))
    assert not waiting.done()  # the query is answered, the marker not heard yet
    point.heard("1")
    assert waiting.done()


async def test_a_marker_heard_before_its_query_is_answered_waits_for_the_answer():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    waiting = await asked(point)
    point.heard("1")
    assert not waiting.done()
    point.answered(("", "", "10:12:10", "12"))
    assert waiting.done()


async def test_while_nothing_completes_a_plain_round_trip_proves_it_and_a_completion_brings_a_marker():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    await asked(point)
    proven(point, wire, "10:12:10", 12)

    quiet = await asked(point)
    assert wire.sent[-1] == (SNAPSHOT, None)
    point.answered(("10:13:10",))  # only the marker (12) completed since
    assert quiet.done()

    busy = await asked(point)
    assert wire.sent[-1] == (SNAPSHOT, None)
    point.answered(("10:14:10",))  # 13 completed: something may be visible that is unheard
    assert not busy.done()
    proven(point, wire, "10:15:10", 15)
    assert busy.done()

    after_commits = await asked(point)
    assert wire.sent[-1][0] == MARKER  # commits were seen last time: a marker at once
    proven(point, wire, "10:16:10", 16)
    assert after_commits.done()
    await asked(point)
    assert wire.sent[-1] == (SNAPSHOT, None)  # and quiet again since


async def test_another_process_s_announced_marker_brings_no_marker_and_an_unannounced_commit_does():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    await asked(point)
    proven(point, wire, "10:12:10", 12)

    point.announced("13")  # another process's marker, heard
    quiet = await asked(point)
    point.answered(("10:14:10",))
    assert quiet.done()
    assert point.markers == 1

    point.announced("not a transaction id")  # ignored
    busy = await asked(point)
    point.answered(("10:15:10",))  # 14: not announced, a commit like any other
    assert not busy.done()
    assert wire.sent[-1][0] == MARKER


async def test_requests_while_a_round_trip_is_out_share_the_next_one():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    first = await asked(point)
    second, third = point.request(), point.request()
    assert len(wire.sent) == 1
    proven(point, wire, "10:12:10", 12)
    assert first.done()
    assert not second.done()  # they came after the first left: they need one more
    assert not third.done()
    assert point.round_trips == 2
    point.answered(("10:13:10",))
    assert second.done()
    assert third.done()
    assert point.round_trips == 2


async def test_a_read_that_gives_up_leaves_the_others_waiting_on_the_same_round_trip():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    on_the_wire = await asked(point)
    leaving, staying = point.request(), point.request()  # both wait for the next round trip
    leaving.cancel()  # its task was cancelled (its client left), or its deadline passed
    proven(point, wire, "10:12:10", 12)
    assert on_the_wire.done()
    point.answered(("10:13:10",))  # the next one: nothing completed since the marker
    assert staying.result() is None
    assert point.round_trips == 2


async def test_a_lost_connection_fails_every_waiting_request():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    first = await asked(point)
    second = await asked(point)

    point.fail(ConnectionError("gone"))

    for waiting in (first, second):
        with pytest.raises(ConnectionError):
            waiting.result()


async def test_requests_made_in_one_turn_of_the_loop_share_one_round_trip():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    together = [point.request() for _ in range(5)]  # as the reads of one read of the sockets ask
    assert wire.sent == []  # it leaves at the end of this turn, not with the first request
    await asyncio.sleep(0)
    assert wire.sent == [(MARKER, ("mine", "1"))]
    proven(point, wire, "10:12:10", 12)
    assert all(waiting.done() for waiting in together)
    assert point.round_trips == 1


async def test_a_round_trip_scheduled_when_the_connection_is_lost_is_never_sent():
    wire = Wire()
    point = SyncPoint(wire.send, "mine")
    waiting = point.request()
    point.fail(ConnectionError("gone"))
    await asyncio.sleep(0)
    assert wire.sent == []
    with pytest.raises(ConnectionError):
        waiting.result()
