import asyncio
from contextlib import AsyncExitStack

import pytest
from ulid import ULID

from configsvc.db.session import Session
from configsvc.errors import Conflict, NotFound
from configsvc.unit_of_work import UnitOfWork
from test.sql import sql

pytestmark = pytest.mark.anyio


def count(database_url: str, table: str) -> int:
    statement = {
        "applications": "SELECT count(*) FROM applications",
        "configurations": "SELECT count(*) FROM configurations",
    }[table]
    return sql(database_url, statement)[0][0]


async def create_pair(uow: UnitOfWork) -> None:
    application_id = str(ULID())
    await uow.applications.create(id=application_id, name="billing", comments=None)
    await uow.configurations.create(
        id=str(ULID()), application_id=application_id, name="production", comments=None, config={}
    )


async def test_both_repositories_commit_together(database, database_url):
    async with UnitOfWork(database) as uow:
        await create_pair(uow)
        await uow.commit()

    assert (count(database_url, "applications"), count(database_url, "configurations")) == (1, 1)


async def test_without_commit_everything_is_rolled_back(database, database_url):
    async with UnitOfWork(database) as uow:
        await create_pair(uow)

    assert (count(database_url, "applications"), count(database_url, "configurations")) == (0, 0)


async def test_an_error_rolls_back_both_repositories(database, database_url):
    async def write_then_fail() -> None:
        async with UnitOfWork(database) as uow:
            await create_pair(uow)
            await uow.configurations.replace(str(ULID()), application_id=None, name="x", comments=None, config={})
            await uow.commit()

    with pytest.raises(NotFound):
        await write_then_fail()

    assert (count(database_url, "applications"), count(database_url, "configurations")) == (0, 0)


async def test_explicit_rollback_discards_work_so_far(database, database_url):
    async with UnitOfWork(database) as uow:
        await create_pair(uow)
        await uow.rollback()
        await uow.applications.create(id=str(ULID()), name="kept", comments=None)
        await uow.commit()

    assert (count(database_url, "applications"), count(database_url, "configurations")) == (1, 0)


async def test_a_constraint_that_fails_at_commit_is_a_conflict(database, database_url):
    sql(
        database_url,
        "ALTER TABLE applications ADD CONSTRAINT test_name_unique_at_commit UNIQUE (comments)"
        " DEFERRABLE INITIALLY DEFERRED",
    )

    async def two_same_comments() -> None:
        async with UnitOfWork(database) as uow:
            await uow.applications.create(id=str(ULID()), name="a", comments="same")
            await uow.applications.create(id=str(ULID()), name="b", comments="same")
            await uow.commit()

    with pytest.raises(Conflict):
        await two_same_comments()

    assert count(database_url, "applications") == 0


async def test_the_connection_goes_back_to_the_pool(database):
    for i in range(database.max_size * 2):
        async with UnitOfWork(database) as uow:
            await uow.applications.create(id=str(ULID()), name=f"never committed {i}", comments=None)

    assert database.leased == 0
    assert database.idle >= 1  # kept open for the next unit of work, not closed
    async with asyncio.timeout(0.5), UnitOfWork(database) as uow:  # and free at once
        await uow.applications.create(id=str(ULID()), name="one more", comments=None)


async def test_no_connection_is_leased_until_the_first_query(database):
    async with AsyncExitStack() as held:
        for _ in range(database.max_size):
            await held.enter_async_context(Session(database))
        # Every connection is taken, yet a unit of work that never queries opens and commits.
        async with asyncio.timeout(0.5), UnitOfWork(database) as uow:
            await uow.commit()
