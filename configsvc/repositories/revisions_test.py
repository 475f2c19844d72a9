import pytest
from ulid import ULID

from configsvc.errors import NotFound
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.repositories.revisions import RevisionsRepository

pytestmark = pytest.mark.anyio


@pytest.fixture
async def config_id(session):
    app_id = (await ApplicationsRepository(session).create(id=str(ULID()), name="a", comments=None)).id
    configurations = ConfigurationsRepository(session)
    created = await configurations.create(
        id=str(ULID()), application_id=app_id, name="c", comments=None, config={"v": 1}
    )
    for v in (2, 3, 4):
        await configurations.replace(created.id, application_id=None, name="c", comments=f"v{v}", config={"v": v})
    return created.id


async def test_revisions_are_listed_newest_first_and_paged_by_version(session, config_id):
    revisions = RevisionsRepository(session)

    first = await revisions.list(config_id, limit=2)
    rest = await revisions.list(config_id, limit=10, before=first[-1].version)

    assert [r.version for r in first] == [4, 3]
    assert [r.version for r in rest] == [2, 1]
    assert [r.config for r in rest] == [{"v": 2}, {"v": 1}]


async def test_one_revision_and_the_missing_ones(session, config_id):
    revisions = RevisionsRepository(session)

    assert (await revisions.get(config_id, 3)).comments == "v3"
    with pytest.raises(NotFound):
        await revisions.get(config_id, 5)
    with pytest.raises(NotFound):
        await revisions.list(str(ULID()), limit=10)
    assert await revisions.list(config_id, limit=10, before=1) == []
