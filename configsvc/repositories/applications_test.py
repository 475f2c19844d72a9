import pytest
from ulid import ULID

from configsvc.errors import Conflict, NotFound, PreconditionFailed
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.views import applications as view
from test.shapes import Fielded, fields

pytestmark = pytest.mark.anyio


@pytest.fixture
def repository(session):
    return Fielded(ApplicationsRepository(session))


def new_id() -> str:
    return str(ULID())


async def test_create_then_get(repository, session):
    created = await repository.create(id=new_id(), name="billing", comments="payments")

    fetched = fields(await view.application(session, created.id))

    assert fetched == created
    assert fetched.configuration_ids == []
    assert fetched.created_at == fetched.updated_at
    assert created.etag == '"1"'


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
    page = (await view.applications(session, limit=10, after=None, name="invoicing")).json()
    assert [application["id"] for application in page] == [created.id]


async def test_replace_onto_a_taken_name_is_a_conflict(repository):
    await repository.create(id=new_id(), name="a", comments=None)
    second = await repository.create(id=new_id(), name="b", comments=None)

    with pytest.raises(Conflict):
        await repository.replace(second.id, name="a", comments=None)


async def test_a_stale_expected_version_names_the_current_one(repository):
    created = await repository.create(id=new_id(), name="a", comments=None)
    await repository.replace(created.id, name="b", comments=None, expected_versions=[1])

    with pytest.raises(PreconditionFailed) as raised:
        await repository.replace(created.id, name="c", comments=None, expected_versions=[1])

    assert raised.value.current_version == 2
