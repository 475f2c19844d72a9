import asyncio

import pytest

from configsvc.db.loop_reads import ReadSessions
from configsvc.db.session import Session
from configsvc.errors import DatabaseUnavailable, PoolExhausted
from configsvc.representations import Representation
from configsvc.views.answer import Answer
from configsvc.views.batches import Batches
from configsvc.views.cache import ReadCache
from configsvc.views.kinds import ReadKind
from test.pools import open_database

pytestmark = pytest.mark.anyio


class Recorder:
    """A view that records each batch it is given, and the moment its statement runs."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.autocommit: list[bool] = []
        self.fail: Exception | None = None
        self.started = asyncio.Event()

    async def __call__(self, session, keys):
        self.batches.append(list(keys))
        self.started.set()
        await session.fetch_one("SELECT 1")
        self.autocommit.append(session.connection.autocommit)
        if self.fail is not None:
            raise self.fail
        return {key: Answer.found(Representation(key.encode(), None), key) for key in keys}


def batches_for(database, view, cache=None):
    """Batches of a kind of read of its own, on pooled connections, keeping what it finds in `cache`."""
    kind = ReadKind("recorded", view)
    return Batches(kind, ReadSessions(database, None), ReadCache(0) if cache is None else cache), kind


async def test_reads_arriving_together_share_one_statement_and_equal_keys_one_answer(database_url):
    async with open_database(database_url) as database:
        view, cache = Recorder(), ReadCache(10_000)
        batches, kind = batches_for(database, view, cache)

        results = await asyncio.gather(*(batches.load(key) for key in ["a", "b", "a", "c"]))

    assert [answer.value.body for answer in results] == [b"a", b"b", b"a", b"c"]
    assert view.batches == [["a", "b", "c"]]
    assert view.autocommit == [True]  # reads need no transaction
    assert [cache.get(kind.cached_as(key)) for key in "abc"] == [
        (b"a", None, None),
        (b"b", None, None),
        (b"c", None, None),
    ]
    # kept by kind and key, as plain tuples (`ReadKind.cached_as`, `ReadKind.kept`)


async def test_what_changed_while_the_statement_was_out_is_not_kept(database_url):
    async with open_database(database_url) as database:
        cache = ReadCache(10_000)

        async def changing(session, keys):
            answers = await Recorder()(session, keys)
            cache.invalidate(["b"])  # announced while the statement was on its way
            return answers

        batches, kind = batches_for(database, changing, cache)
        await asyncio.gather(batches.load("a"), batches.load("b"))

    assert cache.get(kind.cached_as("a")) is not None
    assert cache.get(kind.cached_as("b")) is None


async def test_a_refresh_is_one_statement_kept_under_the_same_guard(database_url):
    async with open_database(database_url) as database:
        cache = ReadCache(10_000)
        view = Recorder()

        async def changing(session, keys):
            answers = await view(session, keys)
            cache.invalidate(["b"])  # announced while the statement was on its way
            return answers

        batches, kind = batches_for(database, changing, cache)
        await batches.refresh(["a", "b", "c"])

    assert view.batches == [["a", "b", "c"]]
    assert [cache.get(kind.cached_as(key)) is not None for key in "abc"] == [True, False, True]


async def test_a_read_arriving_after_its_batch_was_sealed_waits_for_the_next(database_url):
    async with open_database(database_url, max_size=1) as database:
        view = Recorder()
        batches, _ = batches_for(database, view)
        first = asyncio.ensure_future(batches.load("a"))
        await view.started.wait()  # the first batch is sealed, its statement on its way

        second = await batches.load("a")

    assert (await first).value.body == second.value.body == b"a"
    assert view.batches == [["a"], ["a"]]  # not answered by the statement already on its way


async def test_a_batch_waiting_for_a_connection_gathers_the_reads_that_come_meanwhile(database_url):
    async with open_database(database_url, max_size=1, lease_timeout=2.0) as database:
        view = Recorder()
        batches, _ = batches_for(database, view)
        async with Session(database):  # the only connection is busy
            pending = [asyncio.ensure_future(batches.load(key)) for key in "xy"]
            await asyncio.sleep(0.05)
            pending.append(asyncio.ensure_future(batches.load("z")))
            await asyncio.sleep(0.05)
        await asyncio.gather(*pending)

    assert view.batches == [["x", "y", "z"]]


async def test_every_reader_of_a_failed_batch_gets_its_error(database_url):
    async with open_database(database_url, max_size=1, lease_timeout=0.1) as database:
        view = Recorder()
        batches, _ = batches_for(database, view)
        view.fail = DatabaseUnavailable("down")
        results = await asyncio.gather(batches.load("a"), batches.load("b"), return_exceptions=True)
        async with Session(database):
            exhausted = await asyncio.gather(batches.load("c"), return_exceptions=True)

    assert [type(result) for result in results] == [DatabaseUnavailable, DatabaseUnavailable]
    assert isinstance(exhausted[0], PoolExhausted)


async def test_a_reader_that_leaves_does_not_cancel_the_batch_for_the_others(database_url):
    async with open_database(database_url) as database:
        view = Recorder()
        batches, _ = batches_for(database, view)
        leaving = asyncio.ensure_future(batches.load("a"))
        staying = asyncio.ensure_future(batches.load("a"))
        await asyncio.sleep(0)
        leaving.cancel()

        assert (await staying).value.body == b"a"
