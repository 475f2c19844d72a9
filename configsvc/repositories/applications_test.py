import pytest
from ulid import ULID

from configsvc.errors import Conflict, NotFound, PreconditionFailed, StillReferenced
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.views import applications as view
from configsvc.views.keys import ApplicationsPage
from test.shapes import Fielded, fields, read_one

pytestmark = pytest.mark.anyio


@pytest.fixture
def repository(session):
    return Fielded(ApplicationsRepository(session))


def new_id() -> str:
    return str(ULID())


async def test_create_then_get(repository, session):
    created = await repository.create(id=new_id(), name="billing", comments="payments")

    fetched = fields(await read_one(view.applications_by_id, session, created.id))

    assert fetched == created
    assert fetched.configuration_ids == []
    assert fetched.created_at == fetched.updated_at
    assert created.etag == '"1.0"'


async def test_duplicate_name_is_a_conflict(repository):
    await repository.create(id=new_id(), name="billing", comments=None)

    with pytest.raises(Conflict):
        await repository.create(id=new_id(), name="billing", comments=None)


async def test_unknown_id_is_not_found(repository):
    with pytest.raises(NotFound):
        await repository.replace(new_id(), name="x", comments=None)


async def test_replace_changes_everything_and_moves_updated_at(repository, session):
    created = await repository.create(id=new_id(), name="billing", comments="old")

    replaced = await repository.replace(created.id, name="invoicing", comments=None)

    assert (replaced.name, replaced.comments) == ("invoicing", None)
    assert replaced.created_at == created.created_at
    assert replaced.updated_at > created.updated_at
    page = (await read_one(view.applications, session, ApplicationsPage(10, None, "invoicing"))).json()
    assert [application["id"] for application in page] == [created.id]


async def test_replace_onto_a_taken_name_is_a_conflict(repository):
    await repository.create(id=new_id(), name="a", comments=None)
    second = await repository.create(id=new_id(), name="b", comments=None)

    with pytest.raises(Conflict):
        await repository.replace(second.id, name="a", comments=None)


async def test_a_stale_expected_version_names_the_current_one(repository):
    created = await repository.create(id=new_id(), name="a", comments=None)
    await repository.replace(created.id, name="b", comments=None, expected_etags=['"1.0"'])

    with pytest.raises(PreconditionFailed) as raised:
        await repository.replace(created.id, name="c", comments=None, expected_etags=['"1.0"'])

    assert raised.value.current_version == 2
    assert raised.value.current_etag == '"2.0"'


async def test_if_match_names_the_whole_representation_configurations_included(repository, session):
    created = await repository.create(id=new_id(), name="a", comments=None)
    await session.execute(
        "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, 'c')", (new_id(), created.id)
    )

    with pytest.raises(PreconditionFailed) as raised:  # a configuration was added since "1.0"
        await repository.replace(created.id, name="b", comments=None, expected_etags=['"1.0"'])

    assert raised.value.current_etag == '"1.1"'
    assert (await repository.replace(created.id, name="b", comments=None, expected_etags=['"1.1"'])).version == 2


async def test_delete_removes_an_empty_application(session):
    repository = ApplicationsRepository(session)
    created = fields(await repository.create(id=new_id(), name="a", comments=None))

    with pytest.raises(PreconditionFailed):
        await repository.delete(created.id, expected_etags=['"9.9"'])
    await repository.delete(created.id, expected_etags=['"1.0"'])

    with pytest.raises(NotFound):
        await repository.delete(created.id)
    assert await session.fetch_all("SELECT id FROM applications") == []


async def test_an_application_with_configurations_is_not_deleted_and_the_count_is_said(session):
    repository = ApplicationsRepository(session)
    created = fields(await repository.create(id=new_id(), name="a", comments=None))
    for name in ("x", "y"):
        await session.execute(
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, %s)", (new_id(), created.id, name)
        )

    with pytest.raises(StillReferenced, match="still has 2 configuration"):
        await repository.delete(created.id)
    with pytest.raises(PreconditionFailed):  # If-Match is judged first
        await repository.delete(created.id, expected_etags=['"1.0"'])
    assert len(await session.fetch_all("SELECT id FROM applications")) == 1
