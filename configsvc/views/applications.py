"""Reads of applications: one with its configuration ids, and pages of the list."""

from configsvc.db.session import Session
from configsvc.db.statements import Prepared
from configsvc.errors import NotFound
from configsvc.representations import APPLICATION_FIELDS, APPLICATION_SUMMARY_FIELDS, Page, Representation, one, page

SELECT_ONE = Prepared("view_application", one(APPLICATION_FIELDS, "FROM applications a WHERE a.id = %(id)s"))
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


async def application(session: Session, id: str) -> Representation:
    row = await session.fetch_one(SELECT_ONE, {"id": id})
    if row is None:
        raise NotFound("no such application")
    return Representation.from_row(row)


async def applications(session: Session, *, limit: int, after: str | None, name: str | None = None) -> Page:
    """A page in id order; with `name`, only the application of that name (names are unique)."""
    statement = SELECT_PAGE if name is None else SELECT_PAGE_BY_NAME
    row = await session.fetch_one(statement, {"limit": limit, "after": after, "name": name})
    assert row is not None  # an aggregate always returns one row
    return Page.from_row(row)
