"""Reads of configurations (by id, by name) and their revision history: the SQL and what it renders.

Each view takes a connection and a list of keys, so that reads arriving together are answered by one
statement (see `configsvc.views.reader`), and returns an Answer per key.
"""

from configsvc.db.statements import Prepared, Reads
from configsvc.representations import (
    CONFIGURATION_FIELDS,
    REVISION_FIELDS,
    Page,
    Representation,
    configuration_etag,
    one,
    page,
)
from configsvc.views import tags
from configsvc.views.answer import Answer
from configsvc.views.keys import ByName, RevisionOf, RevisionsPage

ETAG = configuration_etag("shown")
SELECT_BY_IDS = Prepared(
    "view_configurations",
    one(
        CONFIGURATION_FIELDS,
        "FROM configurations c WHERE c.id = ANY(%(ids)s::varchar[])",
        etag=ETAG,
        key="shown.id",
        owner="shown.application_id",
    ),
)
# Names to a configuration in one statement: the application by its unique name, then its
# configuration by (application_id, name), both from their unique indexes. OFFSET 0 keeps the
# configuration's subquery apart: flattened into the joins, the prepared (generic) plan looked up
# every configuration of the application by application_id alone and filtered the names after the
# join (EXPLAIN ANALYZE on the bench's data: 20 names 0.98 -> 0.49 ms a statement, by ids 0.35).
_IN_ITS_APPLICATION = "FROM configurations c WHERE c.application_id = a.id AND c.name = wanted.name OFFSET 0"
SELECT_BY_NAMES = Prepared(
    "view_configurations_by_name",
    f"""
SELECT wanted.ordinal, a.id AS application_id, a.id AS owner, found.key AS id, found.etag, found.body
FROM unnest(%(applications)s::varchar[], %(names)s::varchar[]) WITH ORDINALITY AS wanted(application, name, ordinal)
LEFT JOIN applications a ON a.name = wanted.application
LEFT JOIN LATERAL (
    {one(CONFIGURATION_FIELDS, _IN_ITS_APPLICATION, etag=ETAG, key="shown.id")}
) found ON true
""",
)
# A configuration's history belongs to its application, deleted configurations' included.
_OWNER = """(SELECT o.application_id FROM configuration_revisions o
 WHERE o.configuration_id = %(id)s AND o.application_id IS NOT NULL LIMIT 1)"""
SELECT_REVISIONS = page(
    REVISION_FIELDS,
    """FROM configuration_revisions r
WHERE r.configuration_id = %(id)s AND (%(before)s::int IS NULL OR r.version < %(before)s)
ORDER BY r.version DESC""",
    order="version DESC",
    last="min(version)",
    owner=_OWNER,
)
SELECT_REVISION = one(
    REVISION_FIELDS,
    "FROM configuration_revisions r WHERE r.configuration_id = %(id)s AND r.version = %(version)s",
    owner=_OWNER,
)
HAS_HISTORY = "SELECT 1 AS present FROM configuration_revisions WHERE configuration_id = %(id)s LIMIT 1"

NO_CONFIGURATION = "no such configuration"
NO_APPLICATION = "no application has this name"
NO_REVISION = "no such configuration revision"


async def configurations(session: Reads, ids: list[str]) -> dict[str, Answer]:
    rows = await session.fetch_all(SELECT_BY_IDS, {"ids": ids})
    found = {row["key"]: Answer.found(Representation.from_row(row), tags.resource(row["key"])) for row in rows}
    return {id: found.get(id) or Answer.not_found(NO_CONFIGURATION, tags.resource(id)) for id in ids}


async def by_names(session: Reads, keys: list[ByName]) -> dict[ByName, Answer]:
    """A 404 says which of the two names is missing."""
    params = {"applications": [application for application, _ in keys], "names": [name for _, name in keys]}
    rows = {row["ordinal"]: row for row in await session.fetch_all(SELECT_BY_NAMES, params)}
    answers = {}
    for ordinal, key in enumerate(keys, start=1):
        row = rows[ordinal]
        if row["application_id"] is None:
            answer = Answer.not_found(NO_APPLICATION)
        elif row["body"] is None:
            answer = Answer.not_found(
                "the application has no configuration with this name", tags.resource(row["application_id"])
            )
        else:
            # Stale when the configuration changes or its application's name does, not when a
            # sibling configuration moves the application's seq.
            answer = Answer.found(
                Representation.from_row(row), tags.application_row(row["application_id"]), tags.resource(row["id"])
            )
        answers[key] = answer
    return answers


async def revisions(session: Reads, keys: list[RevisionsPage]) -> dict[RevisionsPage, Answer]:
    """Newest first. A deleted configuration keeps its history; only an id without any revision is
    unknown."""
    answers = {}
    for key in keys:
        id, limit, before = key
        row = await session.fetch_one(SELECT_REVISIONS, {"id": id, "limit": limit, "before": before})
        assert row is not None  # an aggregate always returns one row
        result = Page.from_row(row)
        empty = result.body == b"[]"
        if empty and (before is None or await session.fetch_one(HAS_HISTORY, {"id": id}) is None):
            answers[key] = Answer.not_found(NO_CONFIGURATION, tags.resource(id))
        else:
            answers[key] = Answer.found(result, tags.resource(id))
    return answers


async def revision(session: Reads, keys: list[RevisionOf]) -> dict[RevisionOf, Answer]:
    """Revisions are immutable and carry no ETag."""
    answers = {}
    for key in keys:
        id, version = key
        row = await session.fetch_one(SELECT_REVISION, {"id": id, "version": version})
        if row is None:
            answers[key] = Answer.not_found(NO_REVISION, tags.resource(id))
        else:
            answers[key] = Answer.found(Representation.from_row(row), tags.resource(id))
    return answers
