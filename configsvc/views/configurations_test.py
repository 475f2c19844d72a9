import pytest
from ulid import ULID

from configsvc.errors import NotFound
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.schemas import Configuration, Revision
from configsvc.views import configurations as view
from test.shapes import fields

pytestmark = pytest.mark.anyio

CONFIG = {"nested": {"list": [1, 2.5, None, True, "x"], "big": 12345678901234567890}, "empty": {}, "ünï": "ç"}


@pytest.fixture
async def config_id(session):
    app_id = fields(await ApplicationsRepository(session).create(id=str(ULID()), name="a", comments=None)).id
    configurations = ConfigurationsRepository(session)
    created = await configurations.create(
        id=str(ULID()), application_id=app_id, name="c", comments=None, config={"v": 1}
    )
    config_id = created.json()["id"]
    for v in (2, 3, 4):
        await configurations.replace(config_id, application_id=None, name="c", comments=f"v{v}", config={"v": v})
    return config_id


async def test_a_configuration_is_the_same_bytes_as_its_write_returned(session):
    app_id = fields(await ApplicationsRepository(session).create(id=str(ULID()), name="a", comments=None)).id
    created = await ConfigurationsRepository(session).create(
        id=str(ULID()), application_id=app_id, name="prod ünïcode", comments=None, config=CONFIG
    )

    fetched = await view.configuration(session, created.json()["id"])

    assert fetched == created  # same body, same ETag
    assert list(fetched.json()) == list(Configuration.model_fields)
    assert fetched.json()["config"] == CONFIG
    with pytest.raises(NotFound):
        await view.configuration(session, str(ULID()))


async def test_revisions_are_listed_newest_first_and_paged_by_version(session, config_id):
    first = await view.revisions(session, config_id, limit=2, before=None)
    rest = await view.revisions(session, config_id, limit=10, before=int(first.next_cursor))

    assert [r["version"] for r in first.json()] == [4, 3]
    assert first.next_cursor == "3"
    assert [r["version"] for r in rest.json()] == [2, 1]
    assert [r["config"] for r in rest.json()] == [{"v": 2}, {"v": 1}]
    assert rest.next_cursor is None
    assert [list(r) for r in rest.json()] == [list(Revision.model_fields)] * 2


async def test_one_revision_and_the_missing_ones(session, config_id):
    revision = await view.revision(session, config_id, 3)

    assert revision.json()["comments"] == "v3"
    assert revision.etag is None  # revisions are immutable and carry no ETag
    with pytest.raises(NotFound):
        await view.revision(session, config_id, 5)
    with pytest.raises(NotFound):
        await view.revisions(session, str(ULID()), limit=10, before=None)
    assert (await view.revisions(session, config_id, limit=10, before=1)).json() == []
