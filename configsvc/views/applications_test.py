from functools import partial

import pytest
from ulid import ULID

from configsvc.errors import NotFound
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.representations import APPLICATION_SUMMARY_FIELDS, page
from configsvc.schemas import Application, ApplicationSummary, Configuration
from configsvc.views import applications as view
from configsvc.views.answer import Answer
from configsvc.views.keys import ApplicationsPage, ConfigurationsPage
from configsvc.views.tags import APPLICATION_NAMES, APPLICATIONS
from test.shapes import fields

pytestmark = pytest.mark.anyio


def new_id() -> str:
    return str(ULID())


async def create(session, name: str, comments: str | None = None):
    return fields(await ApplicationsRepository(session).create(id=new_id(), name=name, comments=comments))


async def read(view_function, session, key):
    return (await view_function(session, [key]))[key].result()


async def add_configurations(session, application_id, ids):
    for index, config_id in enumerate(ids):
        await session.execute(
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, %s)",
            (config_id, application_id, f"c{index}"),
        )


async def test_an_application_lists_its_configuration_ids_oldest_first_and_counts_them_in_seq(session):
    application = await create(session, "billing")
    ids = sorted(new_id() for _ in range(3))
    await add_configurations(session, application.id, list(reversed(ids)))

    found = await read(view.applications_by_id, session, application.id)

    assert fields(found).configuration_ids == ids
    assert fields(found).seq == 3
    assert found.etag == '"1.3"'  # version 1, seq 3


async def test_many_ids_are_one_statement_and_the_missing_ones_not_found(session):
    first, second = await create(session, "a"), await create(session, "b")
    unknown = new_id()

    outcomes = await view.applications_by_id(session, [second.id, unknown, first.id])

    assert fields(outcomes[first.id].value).name == "a"
    assert fields(outcomes[second.id].value).name == "b"
    assert outcomes[first.id].tags == (first.id,)
    with pytest.raises(NotFound):
        outcomes[unknown].result()


async def test_the_representation_has_the_fields_of_the_model_in_order(session):
    application = await create(session, "billing ünï", comments='with "quotes" and \\ and \n')

    rendered = await read(view.applications_by_id, session, application.id)

    body = rendered.json()
    assert list(body) == list(Application.model_fields)
    assert Application.model_validate(body).name == "billing ünï"
    assert body["comments"] == 'with "quotes" and \\ and \n'
    assert rendered.etag == '"1.0"'


async def test_pages_follow_id_order_with_a_cursor_until_the_end(session):
    ids = sorted([(await create(session, f"app{i}")).id for i in range(5)])

    first = await read(view.applications, session, ApplicationsPage(2, None, None))
    last = await read(view.applications, session, ApplicationsPage(10, first.next_cursor, None))
    empty = await read(view.applications, session, ApplicationsPage(10, ids[-1], None))

    assert [a["id"] for a in first.json()] == ids[:2]
    assert [list(a) for a in first.json()] == [list(ApplicationSummary.model_fields)] * 2
    assert first.next_cursor == ids[1]
    assert [a["id"] for a in last.json()] == ids[2:]
    assert last.next_cursor is None
    assert (empty.body, empty.next_cursor) == (b"[]", None)
    answer = (await view.applications(session, [ApplicationsPage(2, None, None)]))[ApplicationsPage(2, None, None)]
    assert answer.tags == (APPLICATIONS, *ids[:2])  # the list, and the applications it shows


async def test_a_page_that_ends_exactly_at_the_last_row_has_no_next_cursor(session):
    for i in range(2):
        await create(session, f"app{i}")

    assert (await read(view.applications, session, ApplicationsPage(2, None, None))).next_cursor is None


async def test_the_name_filter_finds_exactly_that_name(session):
    billing = await create(session, "billing")
    await create(session, "billing-eu")

    found = await read(view.applications, session, ApplicationsPage(10, None, "billing"))

    assert [a["id"] for a in found.json()] == [billing.id]
    assert (await read(view.applications, session, ApplicationsPage(10, None, "bill"))).json() == []


async def test_an_applications_configurations_are_paged_whole_with_its_seq_as_etag(session):
    application = await create(session, "billing")
    ids = sorted(new_id() for _ in range(3))
    await add_configurations(session, application.id, ids)

    first = await read(view.configurations_of, session, ConfigurationsPage(application.id, 2, None))
    rest = await read(view.configurations_of, session, ConfigurationsPage(application.id, 2, first.next_cursor))
    empty = await read(
        view.configurations_of, session, ConfigurationsPage((await create(session, "empty")).id, 10, None)
    )

    assert [c["id"] for c in first.json()] == ids[:2]
    assert [list(c) for c in first.json()] == [list(Configuration.model_fields)] * 2
    assert (first.etag, rest.etag) == ('"3"', '"3"')
    assert [c["id"] for c in rest.json()] == ids[2:]
    assert rest.next_cursor is None
    assert (empty.body, empty.etag) == (b"[]", '"0"')
    with pytest.raises(NotFound):
        await read(view.configurations_of, session, ConfigurationsPage(new_id(), 10, None))


class CountingSession:
    """The session, counting the statements sent through it."""

    def __init__(self, session) -> None:
        self._session = session
        self.statements = 0

    async def fetch_one(self, statement, params=None):
        self.statements += 1
        return await self._session.fetch_one(statement, params)

    async def fetch_all(self, statement, params=None):
        self.statements += 1
        return await self._session.fetch_all(statement, params)


async def test_pages_read_together_are_one_statement_per_limit_and_view_each_as_read_alone(session):
    ids = sorted([(await create(session, f"app-{n}")).id for n in range(7)])
    keys = [
        ApplicationsPage(limit=3, after=None, name=None),
        ApplicationsPage(limit=3, after=ids[1], name=None),
        ApplicationsPage(limit=3, after=ids[5], name=None),
        ApplicationsPage(limit=3, after=ids[6], name=None),  # past the end: an empty page
        ApplicationsPage(limit=2, after=ids[0], name=None),
        ApplicationsPage(limit=3, after=None, name=None, readable=frozenset(ids[4:6])),
    ]
    counting = CountingSession(session)

    together = await view.applications(counting, keys)

    assert counting.statements == 3  # limit 3 for all, limit 2, limit 3 for a scoped token
    for key in keys:
        alone = (await view.applications(session, [key]))[key]
        assert together[key] == alone, key
    assert [app["id"] for app in together[keys[1]].result().json()] == ids[2:5]
    assert together[keys[1]].result().next_cursor == ids[4]
    assert together[keys[3]].result().json() == []
    assert [app["id"] for app in together[keys[5]].result().json()] == ids[4:6]


def looked_up(kept: dict, name: str, ids) -> list | None:
    """What the reader gives `assembled`: the summaries of `ids` as kept, or None if one is missing."""
    assert name == "summary"
    found = [kept.get(id) for id in ids]
    return None if None in found else found


async def test_a_page_is_its_parts_and_assembled_from_them_is_byte_for_byte_the_page(session):
    """What the cache keeps of a page: its outline (tagged by which applications exist, not by what
    they hold) and each application's summary, the same as the summaries view reads alone. The page
    assembled from them is the page, and the page is what `page` renders as one JSON array."""
    by_name = {f"app-{n}": (await create(session, f"app-{n}", comments='"quoted" ünï\n')).id for n in range(5)}
    ids = sorted(by_name.values())
    keys = [
        ApplicationsPage(2, None, None),
        ApplicationsPage(10, ids[2], None),
        ApplicationsPage(10, ids[-1], None),  # empty
        ApplicationsPage(10, None, "app-3"),
        ApplicationsPage(10, None, None, readable=frozenset(ids[1:3])),
    ]
    summaries = await view.summaries(session, ids)
    rendered = page(
        APPLICATION_SUMMARY_FIELDS,
        "FROM applications a WHERE a.id > coalesce(%(after)s::varchar, '') ORDER BY a.id",
        order="id",
        last="max(id)",
    )

    answers = await view.applications(session, keys)

    for key in keys:
        answer = answers[key]
        outline, *shown = answer.parts
        assert (outline.kind, outline.key) == ("", key)
        assert outline.tags == ((APPLICATIONS,) if key.name is None else (APPLICATIONS, APPLICATION_NAMES))
        assert outline.value.ids == tuple(part.key for part in shown)
        assert outline.value.next_cursor == answer.value.next_cursor
        for part in shown:
            assert (part.kind, part.tags) == ("summary", (part.key,))
            assert part.value == summaries[part.key].value
        kept = {part.key: part.value.kept() for part in shown}  # as the cache keeps them
        assembled = view.assembled(key, outline.value, partial(looked_up, kept))
        assert assembled == Answer(answer.value, answer.tags)
        assert assembled.tags == outline.tags + outline.value.ids
        if shown:
            missing = dict(list(kept.items())[1:])
            assert view.assembled(key, outline.value, partial(looked_up, missing)) is None
    first = await session.fetch_one(rendered, {"limit": 2, "after": None})
    assert answers[keys[0]].value.body == first["body"].encode()
    assert [app["id"] for app in answers[keys[0]].value.json()] == ids[:2]
    assert answers[keys[2]].value.body == b"[]"
    assert [app["id"] for app in answers[keys[3]].value.json()] == [by_name["app-3"]]
    assert [app["id"] for app in answers[keys[4]].value.json()] == ids[1:3]
