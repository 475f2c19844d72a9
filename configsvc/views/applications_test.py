import pytest
from ulid import ULID

from configsvc.errors import NotFound
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.schemas import Application, ApplicationSummary
from configsvc.views import applications as view
from test.shapes import fields

pytestmark = pytest.mark.anyio


def new_id() -> str:
    return str(ULID())


async def create(session, name: str, comments: str | None = None):
    return fields(await ApplicationsRepository(session).create(id=new_id(), name=name, comments=comments))


async def test_an_application_lists_its_configuration_ids_oldest_first(session):
    application = await create(session, "billing")
    ids = sorted(new_id() for _ in range(3))
    for index, config_id in enumerate(reversed(ids)):
        await session.execute(
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, %s)",
            (config_id, application.id, f"c{index}"),
        )

    assert fields(await view.application(session, application.id)).configuration_ids == ids


async def test_an_unknown_application_is_not_found(session):
    with pytest.raises(NotFound):
        await view.application(session, new_id())


async def test_the_representation_has_the_fields_of_the_model_in_order(session):
    application = await create(session, "billing ünï", comments='with "quotes" and \\ and \n')

    rendered = await view.application(session, application.id)

    body = rendered.json()
    assert list(body) == list(Application.model_fields)
    assert Application.model_validate(body).name == "billing ünï"
    assert body["comments"] == 'with "quotes" and \\ and \n'
    assert rendered.etag == '"1"'


async def test_pages_follow_id_order_with_a_cursor_until_the_end(session):
    ids = sorted([(await create(session, f"app{i}")).id for i in range(5)])

    first = await view.applications(session, limit=2, after=None)
    last = await view.applications(session, limit=10, after=first.next_cursor)
    empty = await view.applications(session, limit=10, after=ids[-1])

    assert [a["id"] for a in first.json()] == ids[:2]
    assert [list(a) for a in first.json()] == [list(ApplicationSummary.model_fields)] * 2
    assert first.next_cursor == ids[1]
    assert [a["id"] for a in last.json()] == ids[2:]
    assert last.next_cursor is None
    assert (empty.body, empty.next_cursor) == (b"[]", None)


async def test_a_page_that_ends_exactly_at_the_last_row_has_no_next_cursor(session):
    for i in range(2):
        await create(session, f"app{i}")

    assert (await view.applications(session, limit=2, after=None)).next_cursor is None


async def test_the_name_filter_finds_exactly_that_name(session):
    billing = await create(session, "billing")
    await create(session, "billing-eu")

    found = await view.applications(session, limit=10, after=None, name="billing")

    assert [a["id"] for a in found.json()] == [billing.id]
    assert (await view.applications(session, limit=10, after=None, name="bill")).json() == []
