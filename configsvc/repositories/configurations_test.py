import pytest
from ulid import ULID

from configsvc.errors import Conflict, InvalidChange, NotFound, UnknownReference
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configurations import ConfigurationsRepository

pytestmark = pytest.mark.anyio

CONFIG = {"database": {"host": "db.internal", "port": 5432}, "features": ["a", "b"], "ratio": 0.25, "on": True}


@pytest.fixture
async def session(database):
    async with database.lease() as leased:
        leased.connection.autocommit = True
        yield leased
        leased.connection.autocommit = False


@pytest.fixture
def repository(session):
    return ConfigurationsRepository(session)


@pytest.fixture
async def app_id(session):
    return (await ApplicationsRepository(session).create(id=new_id(), name="billing", comments=None)).id


def new_id() -> str:
    return str(ULID())


async def create(repository, app_id, name="production", config=CONFIG):
    return await repository.create(id=new_id(), application_id=app_id, name=name, comments=None, config=config)


async def test_create_then_get_round_trips_the_config(repository, app_id):
    created = await create(repository, app_id)

    fetched = await repository.get(created.id)

    assert fetched == created
    assert fetched.config == CONFIG


async def test_unknown_application_is_an_unknown_reference(repository):
    with pytest.raises(UnknownReference) as raised:
        await create(repository, new_id())

    assert raised.value.loc == ("body", "application_id")


async def test_names_are_unique_per_application_only(repository, app_id, session):
    other_app = (await ApplicationsRepository(session).create(id=new_id(), name="other", comments=None)).id
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
    other_app = (await ApplicationsRepository(session).create(id=new_id(), name="other", comments=None)).id
    created = await create(repository, app_id)

    with pytest.raises(InvalidChange):
        await repository.replace(created.id, application_id=other_app, name="x", comments=None, config={})
    assert (await repository.get(created.id)).name == "production"


async def test_replace_onto_a_taken_name_is_a_conflict(repository, app_id):
    await create(repository, app_id, name="a")
    second = await create(repository, app_id, name="b")

    with pytest.raises(Conflict):
        await repository.replace(second.id, application_id=None, name="a", comments=None, config={})


async def test_unknown_configuration_is_not_found(repository):
    with pytest.raises(NotFound):
        await repository.get(new_id())
    with pytest.raises(NotFound):
        await repository.replace(new_id(), application_id=None, name="x", comments=None, config={})
