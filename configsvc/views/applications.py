"""Reads of applications: by id with their configuration ids, their configurations, and the list.

Each view takes a session and a list of keys, so that reads arriving together are answered by one
statement where the SQL allows (see `configsvc.views.reader`), and returns an Outcome per key.
"""

from configsvc.db.session import Session
from configsvc.db.statements import Prepared
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
from configsvc.views.outcome import APPLICATIONS, Outcome

SELECT_BY_IDS = Prepared(
    "view_applications",
    one(
        APPLICATION_FIELDS,
        "FROM applications a WHERE a.id = ANY(%(ids)s::varchar[])",
        etag=application_etag("shown"),
        key="shown.id",
    ),
)
# A prepared statement gets a generic plan, so the page and the name lookup are two statements
# (one walks the primary key from the cursor, the other uses the unique index on name).
SELECT_PAGE = Prepared(
    "view_applications_page",
    page(
        APPLICATION_SUMMARY_FIELDS,
        "FROM applications a WHERE a.id > coalesce(%(after)s::varchar, '') ORDER BY a.id",
        order="id",
        last="max(id)",
    ),
)
SELECT_PAGE_BY_NAME = page(
    APPLICATION_SUMMARY_FIELDS,
    "FROM applications a WHERE a.name = %(name)s AND a.id > coalesce(%(after)s::varchar, '') ORDER BY a.id",
    order="id",
    last="max(id)",
)
# One page of an application's configurations, with the application's seq as the ETag, read in
# the same statement (so the ETag is the one of exactly these rows).
_ITS_CONFIGURATIONS = (
    "FROM configurations c WHERE c.application_id = a.id AND c.id > coalesce(%(after)s::varchar, '') ORDER BY c.id"
)
SELECT_CONFIGURATIONS_PAGE = Prepared(
    "view_application_configurations",
    f"""
SELECT listed.body, listed.last, listed.more, {collection_etag("a")} AS etag
FROM applications a,
LATERAL ({page(CONFIGURATION_FIELDS, _ITS_CONFIGURATIONS, order="id", last="max(id)")}) listed
WHERE a.id = %(id)s
""",
)

NO_APPLICATION = "no such application"


async def applications_by_id(session: Session, ids: list[str]) -> dict[str, Outcome]:
    rows = await session.fetch_all(SELECT_BY_IDS, {"ids": ids})
    found = {row["key"]: Outcome.found(Representation.from_row(row), row["key"]) for row in rows}
    return {id: found.get(id) or Outcome.not_found(NO_APPLICATION, id) for id in ids}


async def applications(session: Session, keys: list[tuple[int, str | None, str | None]]) -> dict[tuple, Outcome]:
    """Keys are (limit, after, name): a page in id order; with a name, only the application of that
    name (names are unique)."""
    outcomes = {}
    for key in keys:
        limit, after, name = key
        statement = SELECT_PAGE if name is None else SELECT_PAGE_BY_NAME
        row = await session.fetch_one(statement, {"limit": limit, "after": after, "name": name})
        assert row is not None  # an aggregate always returns one row
        outcomes[key] = Outcome.found(Page.from_row(row), APPLICATIONS)
    return outcomes


async def configurations_of(session: Session, keys: list[tuple[str, int, str | None]]) -> dict[tuple, Outcome]:
    """Keys are (application id, limit, after): its configurations in id order, full."""
    outcomes = {}
    for key in keys:
        id, limit, after = key
        row = await session.fetch_one(SELECT_CONFIGURATIONS_PAGE, {"id": id, "limit": limit, "after": after})
        outcomes[key] = Outcome.not_found(NO_APPLICATION, id) if row is None else Outcome.found(Page.from_row(row), id)
    return outcomes
