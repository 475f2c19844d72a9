import asyncio

import pytest
from ulid import ULID

from configsvc.unit_of_work import UnitOfWork
from configsvc.views import kinds
from configsvc.views.keys import ByName, ConfigurationsPage
from configsvc.views.reader import Reader
from configsvc.views.watch import TooManyHeld, Watches
from test.sql import sql

pytestmark = pytest.mark.anyio


@pytest.fixture
def reader(database):
    return Reader(database, cache_bytes=1 << 20)


def watches_of(reader, max_held=10):
    return Watches(reader, max_held=max_held, reconcile_seconds=60)


async def test_a_change_wakes_the_waiters_of_its_tags_only(reader):
    watches = watches_of(reader)
    billing = watches.hold(kinds.CONFIGURATION, "A", '"1"', ("A",))
    other = watches.hold(kinds.CONFIGURATION, "B", '"1"', ("B",))

    reader.notified("c:A:APP")

    assert await watches.woken(billing, 1)
    assert not await watches.woken(other, 0.05)
    assert watches.wakeups == 1


async def test_a_wake_up_that_comes_before_the_wait_is_not_lost(reader):
    watches = watches_of(reader)
    waiter = watches.hold(kinds.APPLICATION, "APP", None, ("APP",))
    reader.notified("a:APP")  # while the request was still reading

    assert await watches.woken(waiter, 0.05)
    assert not await watches.woken(waiter, 0.05)  # used up


async def test_a_reset_wakes_everyone_and_tags_follow_what_was_last_seen(reader):
    watches = watches_of(reader)
    waiter = watches.hold(kinds.BY_NAME, ByName("app", "c"), '"1"', ("APP", "OLD"))
    watches.seen(waiter, '"2"', ("APP", "NEW"))

    reader.notified("c:OLD:X")  # no longer its configuration
    assert not await watches.woken(waiter, 0.05)
    reader.reset()
    assert await watches.woken(waiter, 0.05)


async def test_no_more_than_max_held_and_released_ones_free_their_place(reader):
    watches = watches_of(reader, max_held=2)
    first = watches.hold(kinds.CONFIGURATION, "A", '"1"', ("A",))
    watches.hold(kinds.CONFIGURATION, "B", '"1"', ("B",))

    with pytest.raises(TooManyHeld):
        watches.hold(kinds.CONFIGURATION, "C", '"1"', ("C",))
    watches.release(first)
    watches.hold(kinds.CONFIGURATION, "C", '"1"', ("C",))
    assert watches.held == 2


async def test_closing_wakes_every_held_request(reader):
    watches = watches_of(reader)
    waiters = [watches.hold(kinds.CONFIGURATION, str(n), '"1"', (str(n),)) for n in range(3)]

    watches.close()

    assert watches.closing
    assert all(await asyncio.gather(*(watches.woken(waiter, 0.05) for waiter in waiters)))


async def test_the_reconcile_wakes_what_changed_unannounced_and_evicts_it(reader, database, database_url):
    async with UnitOfWork(database) as uow:
        app_id, config_id = str(ULID()), str(ULID())
        await uow.applications.create(id=app_id, name="a", comments=None)
        await uow.configurations.create(id=config_id, application_id=app_id, name="c", comments=None, config={})
        await uow.commit()
    watches = watches_of(reader)
    configuration = watches.hold(kinds.CONFIGURATION, config_id, '"1"', (config_id,))
    by_name = watches.hold(kinds.BY_NAME, ByName("a", "c"), '"1"', (app_id, config_id))
    application = watches.hold(kinds.APPLICATION, app_id, '"1.1"', (app_id,))
    collection = watches.hold(kinds.CONFIGURATIONS_OF, ConfigurationsPage(app_id, 100, None), '"1"', (app_id,))
    assert await watches.reconcile() == 0

    sql(
        database_url,
        "SET session_replication_role = replica; UPDATE configurations SET version = 2 WHERE id = %s",
        (config_id,),
    )

    assert await watches.reconcile() == 2  # the application and its collection did not change: no seq moved
    assert await watches.woken(configuration, 0)
    assert await watches.woken(by_name, 0)
    assert not await watches.woken(application, 0)
    assert not await watches.woken(collection, 0)
