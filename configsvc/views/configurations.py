"""Reads of configurations (by id, by name) and their revision history: the SQL and what it renders.

Each view takes a session and a list of keys, so that reads arriving together are answered by one
statement (see `configsvc.views.reader`), and returns an Outcome per key.
"""

from configsvc.db.session import Session
from configsvc.db.statements import Prepared
from configsvc.representations import (
    CONFIGURATION_FIELDS,
    REVISION_FIELDS,
    Page,
    Representation,
    configuration_etag,
    one,
    page,
)
from configsvc.views.outcome import Outcome, application_row

ETAG = configuration_etag("shown")
SELECT_BY_IDS = Prepared(
    "view_configurations",
    one(CONFIGURATION_FIELDS, "FROM configurations c WHERE c.id = ANY(%(ids)s::varchar[])", etag=ETAG, key="shown.id"),
)
# Names to a configuration in one statement: the application by its unique name, then its
# configuration by (application_id, name), both from their unique indexes.
_IN_ITS_APPLICATION = "FROM configurations c WHERE c.application_id = a.id AND c.name = wanted.name"
SELECT_BY_NAMES = Prepared(
    "view_configurations_by_name",
    f"""
SELECT wanted.ordinal, a.id AS application_id, found.key AS id, found.etag, found.body
FROM unnest(%(applications)s::varchar[], %(names)s::varchar[]) WITH ORDINALITY AS wanted(application, name, ordinal)
LEFT JOIN applications a ON a.name = wanted.application
LEFT JOIN LATERAL (
    {one(CONFIGURATION_FIELDS, _IN_ITS_APPLICATION, etag=ETAG, key="shown.id")}
) found ON true
""",
)
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
HAS_HISTORY = "SELECT 1 AS present FROM configuration_revisions WHERE configuration_id = %(id)s LIMIT 1"

NO_CONFIGURATION = "no such configuration"


async def configurations(session: Session, ids: list[str]) -> dict[str, Outcome]:
    rows = await session.fetch_all(SELECT_BY_IDS, {"ids": ids})
    found = {row["key"]: Outcome.found(Representation.from_row(row), row["key"]) for row in rows}
    return {id: found.get(id) or Outcome.not_found(NO_CONFIGURATION, id) for id in ids}


async def by_names(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Outcome]:
    """Keys are (application name, configuration name); a 404 says which of the two is missing."""
    params = {"applications": [application for application, _ in keys], "names": [name for _, name in keys]}
    rows = {row["ordinal"]: row for row in await session.fetch_all(SELECT_BY_NAMES, params)}
    outcomes = {}
    for ordinal, key in enumerate(keys, start=1):
        row = rows[ordinal]
        if row["application_id"] is None:
            outcome = Outcome.not_found("no application has this name")
        elif row["body"] is None:
            outcome = Outcome.not_found("the application has no configuration with this name", row["application_id"])
        else:
            # Stale when the configuration changes or its application's name does, not when a
            # sibling configuration moves the application's seq.
            outcome = Outcome.found(Representation.from_row(row), application_row(row["application_id"]), row["id"])
        outcomes[key] = outcome
    return outcomes


async def revisions(session: Session, keys: list[tuple[str, int, int | None]]) -> dict[tuple, Outcome]:
    """Keys are (configuration id, limit, before): newest first; `before` is the keyset cursor.
    A deleted configuration keeps its history; only an id without any revision is unknown."""
    outcomes = {}
    for key in keys:
        id, limit, before = key
        row = await session.fetch_one(SELECT_REVISIONS, {"id": id, "limit": limit, "before": before})
        assert row is not None  # an aggregate always returns one row
        result = Page.from_row(row)
        empty = result.body == b"[]"
        if empty and (before is None or await session.fetch_one(HAS_HISTORY, {"id": id}) is None):
            outcomes[key] = Outcome.not_found(NO_CONFIGURATION, id)
        else:
            outcomes[key] = Outcome.found(result, id)
    return outcomes


async def revision(session: Session, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Outcome]:
    """Keys are (configuration id, version); revisions are immutable and carry no ETag."""
    outcomes = {}
    for key in keys:
        id, version = key
        row = await session.fetch_one(SELECT_REVISION, {"id": id, "version": version})
        if row is None:
            outcomes[key] = Outcome.not_found("no such configuration revision", id)
        else:
            outcomes[key] = Outcome.found(Representation.from_row(row), id)
    return outcomes
