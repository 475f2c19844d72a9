import pytest
from ulid import ULID

from configsvc.errors import Conflict, ConstraintViolated, InvalidChange, NotFound, PreconditionFailed, UnknownReference
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.representations import timestamp
from configsvc.views import configurations as view
from test.shapes import Fielded, fields, read_one

pytestmark = pytest.mark.anyio

CONFIG = {"database": {"host": "db.internal", "port": 5432}, "features": ["a", "b"], "ratio": 0.25, "on": True}


@pytest.fixture
def repository(session):
    return Fielded(ConfigurationsRepository(session))


@pytest.fixture
async def app_id(session):
    return fields(await ApplicationsRepository(session).create(id=new_id(), name="billing", comments=None)).id


def new_id() -> str:
    return str(ULID())


async def create(repository, app_id, name="production", config=CONFIG):
    return await repository.create(id=new_id(), application_id=app_id, name=name, comments=None, config=config)


async def test_create_then_get_round_trips_the_config(repository, app_id, session):
    created = await create(repository, app_id)

    fetched = fields(await read_one(view.configurations, session, created.id))

    assert fetched == created
    assert fetched.config == CONFIG


async def test_unknown_application_is_an_unknown_reference(repository):
    with pytest.raises(UnknownReference) as raised:
        await create(repository, new_id())

    assert raised.value.field == "application_id"


async def test_names_are_unique_per_application_only(repository, app_id, session):
    other_app = fields(await ApplicationsRepository(session).create(id=new_id(), name="other", comments=None)).id
    await create(repository, app_id)

    with pytest.raises(Conflict):
        await create(repository, app_id)
    assert (await create(repository, other_app)).name == "production"


async def test_replace_updates_content_and_keeps_the_application(repository, app_id):
    created = await create(repository, app_id)

    replaced = await repository.replace(
        created.id, application_id=None, name="prod", comments="now", config={"only": 1}
    )
    same_app = await repository.replace(created.id, application_id=app_id, name="prod", comments=None, config={})

    assert (replaced.name, replaced.comments, replaced.config) == ("prod", "now", {"only": 1})
    assert replaced.updated_at > created.updated_at
    assert same_app.application_id == app_id


async def test_replace_cannot_move_a_configuration_to_another_application(repository, app_id, session):
    other_app = fields(await ApplicationsRepository(session).create(id=new_id(), name="other", comments=None)).id
    created = await create(repository, app_id)

    with pytest.raises(InvalidChange):
        await repository.replace(created.id, application_id=other_app, name="x", comments=None, config={})
    assert fields(await read_one(view.configurations, session, created.id)).name == "production"


async def test_replace_onto_a_taken_name_is_a_conflict(repository, app_id):
    await create(repository, app_id, name="a")
    second = await create(repository, app_id, name="b")

    with pytest.raises(Conflict):
        await repository.replace(second.id, application_id=None, name="a", comments=None, config={})


async def test_unknown_configuration_is_not_found(repository):
    with pytest.raises(NotFound):
        await repository.replace(new_id(), application_id=None, name="x", comments=None, config={})


async def test_every_change_appends_its_revision_in_the_same_statement(repository, app_id, session):
    created = await create(repository, app_id)
    replaced = await repository.replace(created.id, application_id=None, name="p2", comments="c", config={"v": 2})

    rows = await session.fetch_all(
        f"SELECT version, name, comments, config, {timestamp('created_at')} AS created_at"
        " FROM configuration_revisions WHERE configuration_id = %s ORDER BY version",
        (created.id,),
    )

    assert (created.version, replaced.version) == (1, 2)
    assert [(r["version"], r["name"], r["config"]) for r in rows] == [(1, "production", CONFIG), (2, "p2", {"v": 2})]
    assert rows[1]["created_at"] == replaced.updated_at


async def test_a_failed_change_leaves_no_revision(repository, app_id, session):
    await create(repository, app_id, name="taken")
    created = await create(repository, app_id)

    with pytest.raises(Conflict):
        await repository.replace(created.id, application_id=None, name="taken", comments=None, config={})
    with pytest.raises(PreconditionFailed):
        await repository.replace(
            created.id, application_id=None, name="x", comments=None, config={}, expected_etags=['"7"']
        )

    count = await session.fetch_one(
        "SELECT count(*) AS n FROM configuration_revisions WHERE configuration_id = %s", (created.id,)
    )
    assert count["n"] == 1
    assert fields(await read_one(view.configurations, session, created.id)).version == 1


async def test_a_stale_expected_version_names_the_current_one(repository, app_id):
    created = await create(repository, app_id)
    await repository.replace(
        created.id, application_id=None, name="p", comments=None, config={}, expected_etags=['"1"']
    )

    with pytest.raises(PreconditionFailed) as raised:
        await repository.replace(
            created.id, application_id=None, name="q", comments=None, config={}, expected_etags=['"1"']
        )

    assert raised.value.current_version == 2


async def test_restore_copies_a_revision_into_a_new_version(repository, app_id):
    created = await create(repository, app_id)
    await repository.replace(created.id, application_id=None, name="p", comments="x", config={})

    restored = await repository.restore(created.id, 1, expected_etags=['"2"'])

    assert (restored.version, restored.name, restored.config) == (3, "production", CONFIG)
    with pytest.raises(NotFound):
        await repository.restore(created.id, 9)
    with pytest.raises(PreconditionFailed):
        await repository.restore(created.id, 1, expected_etags=['"2"'])


async def test_revisions_cannot_be_rewritten(repository, app_id, session):
    created = await create(repository, app_id)

    with pytest.raises(ConstraintViolated):
        await session.execute(
            "UPDATE configuration_revisions SET name = 'forged' WHERE configuration_id = %s", (created.id,)
        )
    with pytest.raises(ConstraintViolated):
        await session.execute("DELETE FROM configuration_revisions WHERE configuration_id = %s", (created.id,))


async def seq(session, app_id) -> int:
    return (await session.fetch_one("SELECT seq FROM applications WHERE id = %s", (app_id,)))["seq"]


async def test_every_create_replace_restore_and_delete_moves_its_applications_seq_by_one(repository, app_id, session):
    assert await seq(session, app_id) == 0
    created = await create(repository, app_id)
    await repository.replace(created.id, application_id=None, name="p", comments=None, config={})
    await repository.restore(created.id, 1)
    await repository.delete(created.id)

    assert await seq(session, app_id) == 4


async def test_delete_honours_if_match_and_keeps_the_revisions(repository, app_id, session):
    created = await create(repository, app_id)

    with pytest.raises(PreconditionFailed) as raised:
        await repository.delete(created.id, expected_etags=['"2"'])
    await repository.delete(created.id, expected_etags=['"1"'])

    assert raised.value.current_etag == '"1"'
    with pytest.raises(NotFound):
        await repository.delete(created.id)
    revisions = await session.fetch_all(
        "SELECT version FROM configuration_revisions WHERE configuration_id = %s", (created.id,)
    )
    assert revisions == [{"version": 1}]
    assert (await create(repository, app_id)).name == "production"  # the name is free again
