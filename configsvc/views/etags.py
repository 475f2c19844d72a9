"""The current ETag of whatever is watched, straight from the database: what the watches' reconcile
compares with what each held request last saw, in one statement per kind of read."""

from collections.abc import Hashable

from configsvc.db.session import Session
from configsvc.representations import application_etag, collection_etag, configuration_etag

SELECT_CONFIGURATIONS = f"""
SELECT id AS key, {configuration_etag("c")} AS etag FROM configurations c WHERE id = ANY(%(ids)s::varchar[])
"""
SELECT_APPLICATIONS = f"""
SELECT id AS key, {application_etag("a")} AS etag, {collection_etag("a")} AS collection_etag
FROM applications a WHERE id = ANY(%(ids)s::varchar[])
"""
SELECT_BY_NAMES = f"""
SELECT wanted.ordinal, {configuration_etag("c")} AS etag
FROM unnest(%(applications)s::varchar[], %(names)s::varchar[]) WITH ORDINALITY AS wanted(application, name, ordinal)
JOIN applications a ON a.name = wanted.application
JOIN configurations c ON c.application_id = a.id AND c.name = wanted.name
"""

Key = tuple[str, Hashable]


async def current(session: Session, keys: list[Key]) -> dict[Key, str | None]:
    """Kinds: configuration (id), by_name ((application, name)), application (id) and
    configurations_of ((application id, ...): the collection's ETag, whatever the page)."""
    found: dict[Key, str | None] = dict.fromkeys(keys)
    ids = sorted({key for kind, key in keys if kind == "configuration"})
    if ids:
        etags = {row["key"]: row["etag"] for row in await session.fetch_all(SELECT_CONFIGURATIONS, {"ids": ids})}
        for id in ids:
            found[("configuration", id)] = etags.get(id)
    applications = sorted(
        {key if kind == "application" else key[0] for kind, key in keys if kind in ("application", "configurations_of")}
    )  # type: ignore[index]
    if applications:
        rows = {row["key"]: row for row in await session.fetch_all(SELECT_APPLICATIONS, {"ids": applications})}
        for kind, key in keys:
            if kind == "application":
                found[(kind, key)] = rows[key]["etag"] if key in rows else None
            elif kind == "configurations_of":
                row = rows.get(key[0])  # type: ignore[index]
                found[(kind, key)] = row["collection_etag"] if row else None
    names = sorted({key for kind, key in keys if kind == "by_name"})  # type: ignore[type-var]
    if names:
        params = {"applications": [application for application, _ in names], "names": [name for _, name in names]}
        etags = {row["ordinal"]: row["etag"] for row in await session.fetch_all(SELECT_BY_NAMES, params)}
        for ordinal, key in enumerate(names, start=1):
            found[("by_name", key)] = etags.get(ordinal)
    return found
