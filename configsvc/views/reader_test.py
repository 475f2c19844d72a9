import pytest
from ulid import ULID

from configsvc.errors import NotFound, PoolExhausted
from configsvc.unit_of_work import UnitOfWork
from configsvc.views.reader import Reader
from test.pools import open_database

pytestmark = pytest.mark.anyio


async def test_every_read_reflects_the_writes_committed_before_it(database):
    reader = Reader(database)
    async with UnitOfWork(database) as uow:
        application = (await uow.applications.create(id=str(ULID()), name="billing", comments=None)).json()
        await uow.commit()

    assert (await reader.application(application["id"])).json() == application
    assert [a["id"] for a in (await reader.applications(limit=10, after=None)).json()] == [application["id"]]
    with pytest.raises(NotFound):
        await reader.configuration(str(ULID()))


async def test_reads_run_in_autocommit_and_return_their_connection(database_url):
    async with open_database(database_url, max_size=1, lease_timeout=0.2) as database:
        reader = Reader(database)
        seen = []

        async def record(session):
            await session.fetch_one("SELECT 1")
            seen.append(session.connection.autocommit)

        for _ in range(3):
            await reader._read(record)
        async with database.lease():
            with pytest.raises(PoolExhausted):
                await reader.applied_migrations()

    assert seen == [True, True, True]
