import json

import pytest
from ulid import ULID

from configsvc.errors import Conflict, NotFound
from configsvc.repositories.applications import ApplicationsRepository

pytestmark = pytest.mark.anyio


@pytest.fixture
def repository(session):
    return ApplicationsRepository(session)


def new_id() -> str:
    return str(ULID())


async def test_create_then_get(repository):
    created = await repository.create(id=new_id(), name="billing", comments="payments")

    fetched = await repository.get(created.id)

    assert fetched == created
    assert fetched.configuration_ids == []
    assert fetched.created_at == fetched.updated_at


async def test_get_lists_configuration_ids_oldest_first(repository, session):
    application = await repository.create(id=new_id(), name="billing", comments=None)
    ids = sorted(new_id() for _ in range(3))
    for index, config_id in enumerate(reversed(ids)):
        await session.execute(
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, %s)",
            (config_id, application.id, f"c{index}"),
        )

    assert (await repository.get(application.id)).configuration_ids == ids


async def test_duplicate_name_is_a_conflict(repository):
    await repository.create(id=new_id(), name="billing", comments=None)

    with pytest.raises(Conflict):
        await repository.create(id=new_id(), name="billing", comments=None)


async def test_unknown_id_is_not_found(repository):
    with pytest.raises(NotFound):
        await repository.get(new_id())
    with pytest.raises(NotFound):
        await repository.replace(new_id(), name="x", comments=None)
    with pytest.raises(NotFound):
        await repository.get_by_name("nobody")


async def test_replace_changes_everything_and_moves_updated_at(repository):
    created = await repository.create(id=new_id(), name="billing", comments="old")

    replaced = await repository.replace(created.id, name="invoicing", comments=None)

    assert (replaced.name, replaced.comments) == ("invoicing", None)
    assert replaced.created_at == created.created_at
    assert replaced.updated_at > created.updated_at
    assert (await repository.get_by_name("invoicing")).id == created.id


async def test_replace_onto_a_taken_name_is_a_conflict(repository):
    await repository.create(id=new_id(), name="a", comments=None)
    second = await repository.create(id=new_id(), name="b", comments=None)

    with pytest.raises(Conflict):
        await repository.replace(second.id, name="a", comments=None)


async def test_list_pages_by_id_and_filters_by_exact_name(repository):
    created = [await repository.create(id=new_id(), name=f"app{i}", comments=None) for i in range(5)]
    ids = sorted(application.id for application in created)
    app3 = next(application.id for application in created if application.name == "app3")

    first = await repository.list(limit=2)
    rest = await repository.list(limit=10, after=first[-1].id)

    assert [a.id for a in first] == ids[:2]
    assert [a.id for a in rest] == ids[2:]
    assert [a.id for a in await repository.list(limit=10, name="app3")] == [app3]
    assert await repository.list(limit=10, name="app") == []


async def test_the_json_postgresql_renders_is_the_api_representation(repository, session):
    application = await repository.create(id=new_id(), name="billing ünï", comments='with "quotes"')
    await session.execute(
        "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, 'c')", (new_id(), application.id)
    )

    rendered = await repository.get_json(application.id)

    expected = (await repository.get(application.id)).model_dump(mode="json")
    assert rendered.version == 1
    assert json.loads(rendered.body) == expected
    assert list(json.loads(rendered.body)) == list(expected)


async def test_the_rendered_list_pages_like_the_model_list(repository):
    created = [await repository.create(id=new_id(), name=f"app{i}", comments=None) for i in range(5)]
    ids = sorted(application.id for application in created)

    first = await repository.list_json(limit=2)
    last = await repository.list_json(limit=10, after=first.next_after)
    empty = await repository.list_json(limit=10, after=ids[-1])

    models = [a.model_dump(mode="json") for a in await repository.list(limit=2)]
    assert json.loads(first.body) == models
    assert [list(item) for item in json.loads(first.body)] == [list(model) for model in models]  # key order
    assert first.next_after == ids[1]
    assert [a["id"] for a in json.loads(last.body)] == ids[2:]
    assert last.next_after is None
    assert (empty.body, empty.next_after) == (b"[]", None)
