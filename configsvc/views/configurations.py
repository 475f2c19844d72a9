"""Reads of configurations and their revision history: the SQL and what it renders."""

from configsvc.db.session import Session
from configsvc.db.statements import Prepared
from configsvc.errors import NotFound
from configsvc.representations import CONFIGURATION_FIELDS, REVISION_FIELDS, Page, Representation, one, page

SELECT_ONE = Prepared("view_configuration", one(CONFIGURATION_FIELDS, "FROM configurations c WHERE c.id = %(id)s"))
SELECT_REVISIONS = page(
    REVISION_FIELDS,
    """FROM configuration_revisions r
WHERE r.configuration_id = %(id)s AND (%(before)s::int IS NULL OR r.version < %(before)s)
ORDER BY r.version DESC""",
    order="version DESC",
    last="min(version)",
)
SELECT_REVISION = one(
    REVISION_FIELDS, "FROM configuration_revisions r WHERE r.configuration_id = %(id)s AND r.version = %(version)s"
)
CONFIGURATION_EXISTS = "SELECT 1 AS present FROM configurations WHERE id = %(id)s"


async def configuration(session: Session, id: str) -> Representation:
    row = await session.fetch_one(SELECT_ONE, {"id": id})
    if row is None:
        raise NotFound("no such configuration")
    return Representation.from_row(row)


async def revisions(session: Session, configuration_id: str, *, limit: int, before: int | None) -> Page:
    """Newest first; `before` is the keyset cursor (a version number)."""
    row = await session.fetch_one(SELECT_REVISIONS, {"id": configuration_id, "limit": limit, "before": before})
    assert row is not None  # an aggregate always returns one row
    result = Page.from_row(row)
    if result.body == b"[]" and await session.fetch_one(CONFIGURATION_EXISTS, {"id": configuration_id}) is None:
        raise NotFound("no such configuration")
    return result


async def revision(session: Session, configuration_id: str, version: int) -> Representation:
    row = await session.fetch_one(SELECT_REVISION, {"id": configuration_id, "version": version})
    if row is None:
        raise NotFound("no such configuration revision")
    return Representation.from_row(row, versioned=False)
