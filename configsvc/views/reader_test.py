import asyncio
import contextlib
from collections.abc import AsyncIterator

import psycopg2
import psycopg2.sql
import pytest
from ulid import ULID

from configsvc.db.listener import CHANNEL
from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.errors import NotFound, PoolExhausted
from configsvc.main import create_reader
from configsvc.settings import Settings
from configsvc.unit_of_work import UnitOfWork
from configsvc.views import kinds
from configsvc.views import reader as reader_module
from configsvc.views.keys import ApplicationsPage, ByName
from configsvc.views.reader import Reader
from test.client import settings_for
from test.pools import open_database
from test.sql import sql

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def listening(settings: Settings, database: Database) -> AsyncIterator[Reader]:
    """The service's reader for `settings`, started and listening; stopped after the block."""
    reader = create_reader(settings, database)
    try:
        await reader.start(wait_seconds=10)
        assert reader.listening
        yield reader
    finally:
        await reader.stop()


async def create_configuration(database) -> tuple[str, str]:
    async with UnitOfWork(database) as uow:
        app_id, config_id = str(ULID()), str(ULID())
        await uow.applications.create(id=app_id, name=f"app-{app_id}", comments=None)
        await uow.configurations.create(id=config_id, application_id=app_id, name="c", comments=None, config={})
        await uow.commit()
    return app_id, config_id


def test_a_seq_only_change_is_announced_apart_from_a_change_of_the_application_itself(database_url):
    """migrations/0004: every change is announced; a write to a configuration moves its application's
    seq, announced as 'a:<id>:seq', while a rename of the application is 'a:<id>'."""
    listening = psycopg2.connect(database_url)
    try:
        listening.autocommit = True
        with listening.cursor() as cursor:
            cursor.execute(psycopg2.sql.SQL("LISTEN {}").format(psycopg2.sql.Identifier(CHANNEL)))
        app_id, config_id = str(ULID()), str(ULID())
        sql(database_url, "INSERT INTO applications (id, name) VALUES (%s, %s)", (app_id, f"app-{app_id}"))
        sql(
            database_url,
            "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, 'c', '{}')",
            (config_id, app_id),
        )
        sql(database_url, "UPDATE applications SET name = name || '-renamed' WHERE id = %s", (app_id,))
        sql(database_url, "UPDATE applications SET seq = seq + 1 WHERE id = %s", (app_id,))  # by hand: announced too
        sql(database_url, "UPDATE applications SET seq = seq + 1, comments = 'x' WHERE id = %s", (app_id,))
        with listening.cursor() as cursor:
            cursor.execute("SELECT 1")  # answered only after the backend has sent what it was notified of
        payloads = [notify.payload for notify in listening.notifies]
    finally:
        listening.close()

    assert payloads == [
        f"a:{app_id}:new",  # migrations/0007: an application appearing is announced as such
        f"c:{config_id}:{app_id}",
        f"a:{app_id}:seq",
        f"a:{app_id}",
        f"a:{app_id}:seq",
        f"a:{app_id}",
    ]


async def test_a_read_by_name_stays_cached_while_sibling_configurations_change(database, database_url):
    """By name depends on the configuration and its application's name, not on the application's seq."""
    async with listening(settings_for(database_url), database) as reader:
        app_id, config_id = await create_configuration(database)
        await reader.listener.synced()
        first = await reader.value(kinds.BY_NAME, ByName(f"app-{app_id}", "c"))

        sql(
            database_url,
            "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, 'sibling', '{}')",
            (str(ULID()), app_id),
        )
        hits = reader.hits
        assert await reader.value(kinds.BY_NAME, ByName(f"app-{app_id}", "c")) == first
        assert reader.hits == hits + 1  # from memory, after the sync that heard the sibling's insert
        assert (await reader.value(kinds.APPLICATION, app_id)).json()["seq"] == 2  # what shows the seq did move

        sql(database_url, "UPDATE applications SET name = 'elsewhere', version = version + 1 WHERE id = %s", (app_id,))
        with pytest.raises(NotFound):
            await reader.value(kinds.BY_NAME, ByName(f"app-{app_id}", "c"))
        assert (await reader.value(kinds.BY_NAME, ByName("elsewhere", "c"))).json()["id"] == config_id


async def test_every_read_reflects_the_writes_committed_before_it(database):
    reader = Reader(database, cache_bytes=0)
    async with UnitOfWork(database) as uow:
        application = (await uow.applications.create(id=str(ULID()), name="billing", comments=None)).json()
        await uow.commit()

    assert (await reader.value(kinds.APPLICATION, application["id"])).json() == application
    assert [a["id"] for a in (await reader.value(kinds.APPLICATIONS, ApplicationsPage(10, None, None))).json()] == [
        application["id"]
    ]
    with pytest.raises(NotFound):
        await reader.value(kinds.CONFIGURATION, str(ULID()))


async def test_uncached_reads_run_on_the_loop_connection_and_each_reflects_every_write_before_it(
    database, database_url
):
    """Nothing cached (cache_bytes=0): every read is a statement, on the loop connection when free."""
    async with listening(settings_for(database_url, read_cache_bytes=0), database) as reader:
        assert reader.loop_reads is not None
        assert reader.loop_reads.connected
        _, config_id = await create_configuration(database)
        before = reader.loop_reads.lendings
        for n in range(50):
            sql(database_url, "UPDATE configurations SET name = %s WHERE id = %s", (f"n{n}", config_id))
            assert (await reader.value(kinds.CONFIGURATION, config_id)).json()["name"] == f"n{n}"
        assert reader.loop_reads.lendings - before == 50  # one batch each
    assert not reader.loop_reads.connected  # closed with the reader


async def test_a_repeated_read_is_served_from_memory_once_it_is_provably_current(database, database_url):
    async with listening(settings_for(database_url), database) as reader:
        _, config_id = await create_configuration(database)
        await reader.listener.synced()  # the create's own notifications heard: they evict nothing later
        first = await reader.value(kinds.CONFIGURATION, config_id)
        misses = reader.misses

        again = [await reader.value(kinds.CONFIGURATION, config_id) for _ in range(5)]

        assert again == [first] * 5
        assert (reader.misses, reader.hits) == (misses, 5)


async def test_a_write_by_any_path_is_seen_by_the_next_read_never_the_cached_value(database, database_url):
    """Writes by SQL on another connection, each followed at once by a read: not one stale answer."""
    async with listening(settings_for(database_url), database) as reader:
        app_id, config_id = await create_configuration(database)
        for n in range(200):
            await reader.value(kinds.CONFIGURATION, config_id)  # cached, and about to be stale
            await reader.value(kinds.BY_NAME, ByName(f"app-{app_id}", f"c{n - 1}" if n else "c"))
            sql(
                database_url,
                "UPDATE configurations SET name = %s, version = version + 1 WHERE id = %s",
                (f"c{n}", config_id),
            )
            assert (await reader.value(kinds.CONFIGURATION, config_id)).json()["name"] == f"c{n}"
            assert (await reader.value(kinds.BY_NAME, ByName(f"app-{app_id}", f"c{n}"))).json()["version"] == n + 2
            assert (await reader.value(kinds.APPLICATION, app_id)).json()["seq"] == n + 2  # the trigger moved it
        assert reader.hits > 0


async def test_a_peek_shows_what_the_cache_holds_without_a_round_trip_and_nothing_without_a_listener(
    database, database_url
):
    idle = create_reader(settings_for(database_url), database)  # not started: never live
    async with listening(settings_for(database_url), database) as reader:
        _, config_id = await create_configuration(database)
        await reader.listener.synced()
        assert reader.peek(kinds.CONFIGURATION, config_id) is None  # not read yet
        value = await reader.value(kinds.CONFIGURATION, config_id)
        await idle.value(kinds.CONFIGURATION, config_id)
        hits, misses = reader.hits, reader.misses

        assert reader.peek(kinds.CONFIGURATION, config_id) == (value, (config_id,))
        assert (reader.hits, reader.misses) == (hits, misses)  # a peek is not a read
        assert idle.peek(kinds.CONFIGURATION, config_id) is None


async def test_without_a_live_listener_every_read_goes_to_the_database(database, database_url):
    reader = create_reader(settings_for(database_url), database)  # not started: never live
    _, config_id = await create_configuration(database)

    for _ in range(3):
        await reader.value(kinds.CONFIGURATION, config_id)

    assert (reader.hits, reader.misses) == (0, 3)


async def test_losing_the_listener_empties_the_cache(database, database_url):
    async with listening(settings_for(database_url), database) as reader:
        _, config_id = await create_configuration(database)
        await reader.listener.synced()
        await reader.value(kinds.CONFIGURATION, config_id)
        assert len(reader.cache) == 1

        epoch = reader.listener.epoch
        sql(
            database_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'configsvc-listener-%'",
        )
        async with asyncio.timeout(5):
            while reader.listener.epoch == epoch:
                await asyncio.sleep(0.01)

        assert len(reader.cache) == 0


async def test_a_fetch_in_flight_across_a_listener_reconnect_is_not_kept(database, database_url):
    """Changes announced while nobody listened are unknown: what a fetch that began before the
    reconnect found is not kept (the cache's one guard: a reconnect clears it)."""
    async with listening(settings_for(database_url), database) as reader:
        _, config_id = await create_configuration(database)
        blocker = psycopg2.connect(database_url)
        try:
            with blocker.cursor() as cursor:
                cursor.execute("LOCK TABLE configurations IN ACCESS EXCLUSIVE MODE")  # the fetch waits on it
            fetch = asyncio.ensure_future(reader.value(kinds.CONFIGURATION, config_id))
            await asyncio.sleep(0.2)
            assert not fetch.done()
            epoch = reader.listener.epoch
            reader.listener.lose("test: the connection went away")
            async with asyncio.timeout(10):
                while reader.listener.epoch < epoch + 2 or not reader.listening:  # lost, then listening again
                    await asyncio.sleep(0.01)
        finally:
            blocker.rollback()
            blocker.close()
        await fetch
        assert reader.peek(kinds.CONFIGURATION, config_id) is None
        await reader.value(kinds.CONFIGURATION, config_id)
        assert reader.peek(kinds.CONFIGURATION, config_id) is not None  # one that began since is kept


class GatedSessions:
    """A batch's sessions whose statements' results are held at a gate: the test decides when a
    fetch that has already read its snapshot may store what it found."""

    def __init__(self, sessions) -> None:
        self._sessions = sessions
        self.gate = asyncio.Event()
        self.fetched = asyncio.Event()

    @contextlib.asynccontextmanager
    async def lease(self):
        async with self._sessions.lease() as session:
            yield self._Gated(session, self)

    class _Gated:
        def __init__(self, session, owner) -> None:
            self._session, self._owner = session, owner

        async def fetch_all(self, statement, params=None):
            rows = await self._session.fetch_all(statement, params)
            self._owner.fetched.set()
            await self._owner.gate.wait()
            return rows


async def refreshed(reader: Reader) -> None:
    async with asyncio.timeout(10):
        while reader.refreshing:
            await asyncio.sleep(0.01)


async def test_a_changed_entry_in_use_is_read_again_so_the_next_read_is_a_hit(database, database_url, monkeypatch):
    monkeypatch.setattr(reader_module, "RECENTLY_READ_SECONDS", 0.5)
    async with listening(settings_for(database_url), database) as reader:
        app_id, config_id = await create_configuration(database)
        idle_id = str(ULID())
        sql(
            database_url,
            "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, 'idle', '{}')",
            (idle_id, app_id),
        )
        await reader.listener.synced()
        await reader.value(kinds.CONFIGURATION, idle_id)  # a read too, but longer ago than 0.5 s
        await asyncio.sleep(0.6)
        await reader.value(kinds.CONFIGURATION, config_id)  # read (from the database): in use

        sql(
            database_url,
            "UPDATE configurations SET name = name || '-renamed', version = version + 1 WHERE application_id = %s",
            (app_id,),
        )
        await reader.listener.synced()
        await refreshed(reader)

        assert (reader.refreshes, reader.refresh_rounds) == (1, 1)
        assert reader.peek(kinds.CONFIGURATION, idle_id) is None  # just evicted
        hits, misses = reader.hits, reader.misses
        assert (await reader.value(kinds.CONFIGURATION, config_id)).json()["name"] == "c-renamed"
        assert (reader.hits, reader.misses) == (hits + 1, misses)


async def test_a_refreshed_entry_is_read_again_after_the_next_change_too_while_in_use(database, database_url):
    """Written twice with no read in between, it is still in use: the second change refreshes it
    as the first did, and the next read is a hit."""
    async with listening(settings_for(database_url), database) as reader:
        _, config_id = await create_configuration(database)
        await reader.listener.synced()
        await reader.value(kinds.CONFIGURATION, config_id)
        for version in (2, 3):
            sql(database_url, "UPDATE configurations SET version = %s WHERE id = %s", (version, config_id))
            await reader.listener.synced()
            await refreshed(reader)
            assert reader.peek(kinds.CONFIGURATION, config_id) is not None

        assert (reader.refreshes, reader.refresh_rounds) == (2, 2)
        hits, misses = reader.hits, reader.misses
        assert (await reader.value(kinds.CONFIGURATION, config_id)).json()["version"] == 3
        assert (reader.hits, reader.misses) == (hits + 1, misses)


async def test_a_refresh_skips_what_a_read_fetched_while_it_gathered(database, database_url):
    async with listening(settings_for(database_url), database) as reader:
        _, config_id = await create_configuration(database)
        await reader.listener.synced()
        await reader.value(kinds.CONFIGURATION, config_id)

        sql(database_url, "UPDATE configurations SET version = 2 WHERE id = %s", (config_id,))
        await reader.listener.synced()
        assert reader.refreshing  # gathering for REFRESH_GATHER_SECONDS
        assert (await reader.value(kinds.CONFIGURATION, config_id)).json()["version"] == 2  # a miss: fetched
        await refreshed(reader)

        assert (reader.refreshes, reader.refresh_rounds) == (1, 0)  # nothing left to read again
        assert reader.peek(kinds.CONFIGURATION, config_id) is not None


async def test_without_refresh_a_change_only_evicts(database, database_url):
    async with listening(settings_for(database_url, read_refresh=False), database) as reader:
        _, config_id = await create_configuration(database)
        await reader.listener.synced()
        await reader.value(kinds.CONFIGURATION, config_id)
        await reader.value(kinds.CONFIGURATION, config_id)

        sql(database_url, "UPDATE configurations SET version = 2 WHERE id = %s", (config_id,))
        await reader.listener.synced()

        assert (reader.refreshes, reader.peek(kinds.CONFIGURATION, config_id)) == (0, None)


async def test_a_refresh_racing_a_second_write_never_serves_the_first(database, database_url):
    """The refresh after write 1 has read its snapshot (version 2) when write 2 commits and is heard:
    what it found is stale before it is stored, so it is not kept, and the next read says version 3."""
    async with listening(settings_for(database_url), database) as reader:
        _, config_id = await create_configuration(database)
        await reader.listener.synced()
        await reader.value(kinds.CONFIGURATION, config_id)
        await reader.value(kinds.CONFIGURATION, config_id)  # in use: a change is refreshed
        batches = reader._batches[kinds.CONFIGURATION]
        gated = batches._sessions = GatedSessions(batches._sessions)

        sql(database_url, "UPDATE configurations SET version = 2 WHERE id = %s", (config_id,))
        async with asyncio.timeout(10):
            await gated.fetched.wait()  # the refresh read version 2, and waits to store it
        sql(database_url, "UPDATE configurations SET version = 3 WHERE id = %s", (config_id,))
        await reader.listener.synced()  # write 2 heard while the refresh is in flight
        gated.gate.set()
        await refreshed(reader)

        assert reader.refreshes >= 1
        cached = reader.peek(kinds.CONFIGURATION, config_id)
        assert cached is None or cached[0].json()["version"] == 3
        assert (await reader.value(kinds.CONFIGURATION, config_id)).json()["version"] == 3


async def test_changes_heard_while_a_refresh_round_is_out_are_read_again_together_in_the_next(database, database_url):
    """Under writes, one statement for everything that went stale while the last one was out, not a
    statement per notification."""
    async with listening(settings_for(database_url), database) as reader:
        app_id, first = await create_configuration(database)
        others = [str(ULID()) for _ in range(4)]
        for n, config_id in enumerate(others):
            sql(
                database_url,
                "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, %s, '{}')",
                (config_id, app_id, f"other-{n}"),
            )
        await reader.listener.synced()
        for config_id in (first, *others):
            await reader.value(kinds.CONFIGURATION, config_id)
            await reader.value(kinds.CONFIGURATION, config_id)  # in use
        batches = reader._batches[kinds.CONFIGURATION]
        gated = batches._sessions = GatedSessions(batches._sessions)

        sql(database_url, "UPDATE configurations SET version = 2 WHERE id = %s", (first,))
        async with asyncio.timeout(10):
            await gated.fetched.wait()  # the first round is out
        for config_id in others:  # one notification each
            sql(database_url, "UPDATE configurations SET version = 2 WHERE id = %s", (config_id,))
        await reader.listener.synced()
        assert (reader.refreshes, reader.refresh_rounds) == (5, 1)
        gated.gate.set()
        await refreshed(reader)

        assert reader.refresh_rounds == 2
        hits, misses = reader.hits, reader.misses
        for config_id in (first, *others):
            assert (await reader.value(kinds.CONFIGURATION, config_id)).json()["version"] == 2
        assert (reader.hits, reader.misses) == (hits + 5, misses)


async def test_a_page_of_applications_is_kept_while_applications_it_does_not_show_change(database, database_url):
    async with listening(settings_for(database_url), database) as reader:
        shown_id, shown_config = await create_configuration(database)
        other_id, other_config = await create_configuration(database)
        await reader.listener.synced()
        everything = ApplicationsPage(10, None, None)
        named = ApplicationsPage(10, None, f"app-{shown_id}")
        assert [a["id"] for a in (await reader.value(kinds.APPLICATIONS, named)).json()] == [shown_id]
        await reader.value(kinds.APPLICATIONS, everything)

        sql(database_url, "UPDATE configurations SET version = version + 1 WHERE id = %s", (other_config,))
        hits = reader.hits
        await reader.value(kinds.APPLICATIONS, named)
        assert reader.hits == hits + 1  # a write elsewhere: still cached
        seqs = {a["id"]: a["seq"] for a in (await reader.value(kinds.APPLICATIONS, everything)).json()}
        assert seqs == {shown_id: 1, other_id: 2}  # the page that shows it did change

        sql(database_url, "UPDATE configurations SET version = version + 1 WHERE id = %s", (shown_config,))
        assert [a["seq"] for a in (await reader.value(kinds.APPLICATIONS, named)).json()] == [2]
        newcomer, _ = await create_configuration(database)
        assert newcomer in [a["id"] for a in (await reader.value(kinds.APPLICATIONS, everything)).json()]
        sql(database_url, "UPDATE applications SET name = 'elsewhere' WHERE id = %s", (shown_id,))
        assert (await reader.value(kinds.APPLICATIONS, named)).json() == []
        sql(database_url, "UPDATE applications SET name = %s WHERE id = %s", (f"app-{shown_id}", other_id))
        assert [a["id"] for a in (await reader.value(kinds.APPLICATIONS, named)).json()] == [other_id]


async def test_reads_return_their_connection_and_fail_fast_when_none_is_free(database_url):
    async with open_database(database_url, max_size=1, lease_timeout=0.2) as database:
        reader = Reader(database, cache_bytes=0)
        for _ in range(3):
            await reader.value(kinds.APPLICATIONS, ApplicationsPage(1, None, None))
        async with Session(database):
            with pytest.raises(PoolExhausted):
                await reader.value(kinds.APPLICATIONS, ApplicationsPage(1, None, None))
            with pytest.raises(PoolExhausted):
                await reader.applied_migrations()


async def test_a_page_of_applications_stays_in_memory_while_the_applications_it_shows_change(database, database_url):
    """Kept as its outline and the summaries of the applications it shows: a change to one of them
    refreshes that summary alone (one row) and the page is still a hit, showing the change; an
    application appearing changes the outline, and the next read is a miss that shows it."""
    database_answer = create_reader(settings_for(database_url), database)  # not started: never live
    async with listening(settings_for(database_url), database) as reader:
        app_id, _ = await create_configuration(database)
        other_id, other_config = await create_configuration(database)
        page = ApplicationsPage(10, None, None)
        await reader.listener.synced()
        first = await reader.value(kinds.APPLICATIONS, page)  # a miss, which keeps the parts
        hits = reader.hits
        assert await reader.value(kinds.APPLICATIONS, page) == first
        assert reader.hits == hits + 1

        sql(
            database_url, "UPDATE applications SET comments = 'changed', version = version + 1 WHERE id = %s", (app_id,)
        )
        sql(database_url, "UPDATE configurations SET version = version + 1 WHERE id = %s", (other_config,))  # its seq
        await reader.listener.synced()
        await refreshed(reader)

        assert reader.refreshes == 2  # the two summaries, not the page
        hits, misses = reader.hits, reader.misses
        changed = await reader.value(kinds.APPLICATIONS, page)
        assert (reader.hits, reader.misses) == (hits + 1, misses)
        assert changed == await database_answer.value(kinds.APPLICATIONS, page)
        assert {a["id"]: (a["comments"], a["seq"]) for a in changed.json()} == {
            app_id: ("changed", 1),
            other_id: (None, 2),
        }

        newcomer, _ = await create_configuration(database)
        await reader.listener.synced()
        with_newcomer = await reader.value(kinds.APPLICATIONS, page)
        assert reader.misses == misses + 1
        assert newcomer in [a["id"] for a in with_newcomer.json()]


async def test_a_page_with_a_part_not_in_memory_is_read_whole_from_the_database(database, database_url):
    """Never some parts from memory and others from the database: they would show two moments."""
    async with listening(settings_for(database_url, read_refresh=False), database) as reader:
        app_id, _ = await create_configuration(database)
        await create_configuration(database)
        page = ApplicationsPage(10, None, None)
        await reader.listener.synced()
        await reader.value(kinds.APPLICATIONS, page)

        sql(
            database_url, "UPDATE applications SET comments = 'changed', version = version + 1 WHERE id = %s", (app_id,)
        )
        await reader.listener.synced()  # its summary evicted, and not refreshed
        assert reader.peek(kinds.APPLICATION_SUMMARY, app_id) is None
        hits, misses = reader.hits, reader.misses
        summaries_read = reader._batches[kinds.APPLICATION_SUMMARY]
        summaries_read._sessions = None  # a summary read alone would fail here  # type: ignore[assignment]

        again = await reader.value(kinds.APPLICATIONS, page)

        assert (reader.hits, reader.misses) == (hits, misses + 1)
        assert {a["id"]: a["comments"] for a in again.json()}[app_id] == "changed"
        assert await reader.value(kinds.APPLICATIONS, page) == again  # its parts kept again: a hit
        assert reader.hits == hits + 1
