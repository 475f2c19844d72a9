"""The current ETag of what is watched, straight from the database: what the watches' reconcile
compares with what each held request last saw, one statement per kind of read (`kinds.py`)."""

from configsvc.db.statements import Reads
from configsvc.representations import application_etag, collection_etag, configuration_etag
from configsvc.views.keys import ByName, ConfigurationsPage

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


async def configurations(session: Reads, ids: list[str]) -> dict[str, str | None]:
    etags = {row["key"]: row["etag"] for row in await session.fetch_all(SELECT_CONFIGURATIONS, {"ids": ids})}
    return {id: etags.get(id) for id in ids}


async def by_names(session: Reads, keys: list[ByName]) -> dict[ByName, str | None]:
    params = {"applications": [key.application for key in keys], "names": [key.name for key in keys]}
    etags = {row["ordinal"]: row["etag"] for row in await session.fetch_all(SELECT_BY_NAMES, params)}
    return {key: etags.get(ordinal) for ordinal, key in enumerate(keys, start=1)}


async def applications(session: Reads, ids: list[str]) -> dict[str, str | None]:
    etags = {row["key"]: row["etag"] for row in await session.fetch_all(SELECT_APPLICATIONS, {"ids": ids})}
    return {id: etags.get(id) for id in ids}


async def collections(session: Reads, keys: list[ConfigurationsPage]) -> dict[ConfigurationsPage, str | None]:
    """The ETag of an application's configurations, whatever the page."""
    ids = sorted({key.application_id for key in keys})
    rows = {row["key"]: row["collection_etag"] for row in await session.fetch_all(SELECT_APPLICATIONS, {"ids": ids})}
    return {key: rows.get(key.application_id) for key in keys}
