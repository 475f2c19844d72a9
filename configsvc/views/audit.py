"""The audit trail, newest first: read straight from the database (every write adds to it, so a cache
would be stale at once), filtered to what the reader may see."""

from configsvc.access.principal import Principal
from configsvc.db.statements import Reads
from configsvc.representations import AUDIT_EVENT_FIELDS, Page, page

# (at, id) orders events (at is the clock when the write ran; ids break ties); `before` is an
# event id, the cursor of the next (older) page.
SELECT_PAGE = page(
    AUDIT_EVENT_FIELDS,
    """FROM audit_events e
WHERE (%(application)s::varchar IS NULL OR e.application_id = %(application)s)
  AND (%(everything)s OR (e.application_id IS NOT NULL
                          AND (%(all_applications)s OR e.application_id = ANY(%(readable)s::varchar[]))))
  AND (%(before)s::varchar IS NULL
       OR (e.at, e.id) < (SELECT b.at, b.id FROM audit_events b WHERE b.id = %(before)s))
ORDER BY e.at DESC, e.id DESC""",
    order="at DESC, id DESC",
    last="(array_agg(id ORDER BY at, id))[1]",
)


async def events(session: Reads, *, limit: int, before: str | None, application: str | None, reader: Principal) -> Page:
    """What `reader` may see: an admin every event (the tokens' too); another token the events of
    the applications it may read."""
    params = {
        "limit": limit,
        "before": before,
        "application": application,
        "everything": reader.admin,
        "all_applications": reader.read_all,
        "readable": sorted(reader.readable),
    }
    row = await session.fetch_one(SELECT_PAGE, params)
    assert row is not None
    return Page.from_row(row)
