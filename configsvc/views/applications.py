"""Reads of applications: by id with their configuration ids, their configurations, and the list.

Each view takes a connection and a list of keys, so that reads arriving together are answered by one
statement where the SQL allows (see `configsvc.views.reader`), and returns an Answer per key.
"""

from configsvc.db.statements import Prepared, Reads, Row
from configsvc.representations import (
    APPLICATION_FIELDS,
    APPLICATION_SUMMARY_FIELDS,
    CONFIGURATION_FIELDS,
    Page,
    Representation,
    application_etag,
    collection_etag,
    one,
    page,
)
from configsvc.views import tags
from configsvc.views.answer import Answer
from configsvc.views.keys import ApplicationsPage, ConfigurationsPage

SELECT_BY_IDS = Prepared(
    "view_applications",
    one(
        APPLICATION_FIELDS,
        "FROM applications a WHERE a.id = ANY(%(ids)s::varchar[])",
        etag=application_etag("shown"),
        key="shown.id",
        owner="shown.id",
    ),
)
# What a token scoped to some applications may see of the list: only those (None: every one).
_READABLE = "(%(readable)s::varchar[] IS NULL OR a.id = ANY(%(readable)s::varchar[]))"
# A prepared statement gets a generic plan, so the pages and the name lookup are two statements
# (one walks the primary key from each cursor, the other uses the unique index on name).
# Pages of one limit and one token's view, any number of cursors, in one statement (misses arrive
# together after a write has evicted pages: one statement each, one after another, was list's p99).
SELECT_PAGES = Prepared(
    "view_applications_pages",
    f"""
SELECT k.n, listed.*
FROM unnest(%(afters)s::varchar[]) WITH ORDINALITY AS k(after, n),
LATERAL ({
        page(
            APPLICATION_SUMMARY_FIELDS,
            f"FROM applications a WHERE a.id > coalesce(k.after, '') AND {_READABLE} ORDER BY a.id",
            order="id",
            last="max(id)",
            ids=True,
        )
    }) listed
""",
)
SELECT_PAGE_BY_NAME = page(
    APPLICATION_SUMMARY_FIELDS,
    "FROM applications a WHERE a.name = %(name)s AND a.id > coalesce(%(after)s::varchar, '')"
    f" AND {_READABLE} ORDER BY a.id",
    order="id",
    last="max(id)",
    ids=True,
)
# One page of an application's configurations, with the application's seq as the ETag, read in
# the same statement (so the ETag is the one of exactly these rows).
_ITS_CONFIGURATIONS = (
    "FROM configurations c WHERE c.application_id = a.id AND c.id > coalesce(%(after)s::varchar, '') ORDER BY c.id"
)
SELECT_CONFIGURATIONS_PAGE = Prepared(
    "view_application_configurations",
    f"""
SELECT listed.body, listed.last, listed.more, {collection_etag("a")} AS etag, a.id AS owner
FROM applications a,
LATERAL ({page(CONFIGURATION_FIELDS, _ITS_CONFIGURATIONS, order="id", last="max(id)")}) listed
WHERE a.id = %(id)s
""",
)

NO_APPLICATION = "no such application"


async def applications_by_id(session: Reads, ids: list[str]) -> dict[str, Answer]:
    rows = await session.fetch_all(SELECT_BY_IDS, {"ids": ids})
    found = {row["key"]: Answer.found(Representation.from_row(row), tags.resource(row["key"])) for row in rows}
    return {id: found.get(id) or Answer.not_found(NO_APPLICATION, tags.resource(id)) for id in ids}


async def applications(session: Reads, keys: list[ApplicationsPage]) -> dict[ApplicationsPage, Answer]:
    """A page in id order; with a name, only the application of that name (names are unique).
    Pages of one limit and one view share a statement."""
    answers = {}
    together: dict[tuple[int, frozenset[str] | None], list[ApplicationsPage]] = {}
    for key in keys:
        if key.name is None:
            together.setdefault((key.limit, key.readable), []).append(key)
            continue
        readable = None if key.readable is None else sorted(key.readable)
        params = {"limit": key.limit, "after": key.after, "name": key.name, "readable": readable}
        row = await session.fetch_one(SELECT_PAGE_BY_NAME, params)
        assert row is not None  # an aggregate always returns one row
        answers[key] = _page_answer(key, row)
    for (limit, readable_set), of_group in together.items():
        readable = None if readable_set is None else sorted(readable_set)
        params = {"limit": limit, "afters": [key.after for key in of_group], "readable": readable}
        rows = await session.fetch_all(SELECT_PAGES, params)
        for row in rows:  # one per cursor, aggregates: numbered from 1 in the order given
            key = of_group[row["n"] - 1]
            answers[key] = _page_answer(key, row)
    return answers


def _page_answer(key: ApplicationsPage, row: Row) -> Answer:
    # Stale when an application it shows changes, or one appears or goes (it may enter the page);
    # filtered by name, also when an application takes or leaves that name.
    depends = (tags.APPLICATIONS,) if key.name is None else (tags.APPLICATIONS, tags.APPLICATION_NAMES)
    shown = tuple(tags.resource(id) for id in row["ids"] or ())
    return Answer.found(Page.from_row(row), *depends, *shown)


async def configurations_of(session: Reads, keys: list[ConfigurationsPage]) -> dict[ConfigurationsPage, Answer]:
    """An application's configurations in id order, full."""
    answers = {}
    for key in keys:
        id = key.application_id
        row = await session.fetch_one(SELECT_CONFIGURATIONS_PAGE, {"id": id, "limit": key.limit, "after": key.after})
        if row is None:
            answers[key] = Answer.not_found(NO_APPLICATION, tags.resource(id))
        else:
            answers[key] = Answer.found(Page.from_row(row), tags.resource(id))
    return answers
