"""Reads of applications: by id with their configuration ids, their configurations, and the list.

Each view takes a connection and a list of keys, so that reads arriving together are answered by one
statement where the SQL allows (see `configsvc.views.reader`), and returns an Answer per key.

A page of the list is cached as its parts: its outline (which applications, in order, and the next
cursor), which changes only when applications appear or go, and each application's summary, which
a change to that application replaces (and the reader refreshes, one row). Under writes to their
applications pages so stay assembled from memory, where a whole page went stale with any of them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from configsvc.db.statements import Prepared, Reads, Row, Statement
from configsvc.representations import (
    APPLICATION_FIELDS,
    APPLICATION_SUMMARY_FIELDS,
    CONFIGURATION_FIELDS,
    Page,
    Representation,
    application_etag,
    collection_etag,
    next_cursor,
    one,
    page,
)
from configsvc.views import tags
from configsvc.views.answer import Answer, Part
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
# An application as a page of the list shows it.
SELECT_SUMMARIES = Prepared(
    "view_application_summaries",
    one(
        APPLICATION_SUMMARY_FIELDS,
        "FROM applications a WHERE a.id = ANY(%(ids)s::varchar[])",
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
            parts=True,
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
    parts=True,
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


@dataclass(frozen=True, slots=True)
class Outline:
    """A page of the list without what it shows: the ids of its applications, in order, and the
    cursor of the next page."""

    ids: tuple[str, ...]
    next_cursor: str | None

    @property
    def size(self) -> int:
        return 32 * len(self.ids)

    def kept(self) -> tuple[tuple[str, ...], str | None]:
        """As the read cache keeps it (`Representation.kept`)."""
        return (self.ids, self.next_cursor)

    @classmethod
    def restored(cls, kept: tuple[tuple[str, ...], str | None]) -> "Outline":
        return cls(*kept)


async def applications_by_id(session: Reads, ids: list[str]) -> dict[str, Answer]:
    return await _by_ids(session, SELECT_BY_IDS, ids)


async def summaries(session: Reads, ids: list[str]) -> dict[str, Answer]:
    """Applications as the list shows them (the parts its pages are assembled from)."""
    return await _by_ids(session, SELECT_SUMMARIES, ids)


async def _by_ids(session: Reads, statement: Statement, ids: list[str]) -> dict[str, Answer]:
    rows = await session.fetch_all(statement, {"ids": ids})
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


def _depends(key: ApplicationsPage) -> tuple[str, ...]:
    """What a page's outline depends on: which applications exist (one may enter the page) and,
    filtered by name, which has that name."""
    return (tags.APPLICATIONS,) if key.name is None else (tags.APPLICATIONS, tags.APPLICATION_NAMES)


def _page_answer(key: ApplicationsPage, row: Row) -> Answer:
    """The page, and the parts the cache keeps of it: its outline and each application's summary."""
    ids: list[str] = row["ids"] or []
    items = [item.encode() for item in row["items"] or ()]
    outline = Outline(tuple(ids), next_cursor(row))
    shown = tuple(tags.resource(id) for id in ids)
    parts = (
        Part("", key, outline, _depends(key)),
        *(
            Part("summary", id, Representation(item, None, id), (tag,))
            for id, item, tag in zip(ids, items, shown, strict=True)
        ),
    )
    return Answer(Page.of_items(items, outline.next_cursor), _depends(key) + shown, parts=parts)


def assembled(
    key: ApplicationsPage, outline: Outline, parts: Callable[[str, Iterable[str]], list[Any] | None]
) -> Answer | None:
    """The page from its cached parts (`parts("summary", ids)`: each summary as the cache keeps it,
    `Representation.kept`), byte for byte what its statement gives; None if a summary is not cached."""
    summaries = parts("summary", outline.ids)
    if summaries is None:
        return None
    items = [body for body, _, _ in summaries]
    return Answer(Page.of_items(items, outline.next_cursor), _depends(key) + tuple(map(tags.resource, outline.ids)))


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
