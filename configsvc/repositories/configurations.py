"""The configurations table (and the revision written with each change): SQL and repository."""

from typing import Any

from psycopg2.extras import Json

from configsvc.db import Prepared, Queries, RenderedResource, Row
from configsvc.errors import Conflict, InvalidChange, NotFound, PreconditionFailed, UnknownReference
from configsvc.repositories.integrity import constraint_errors
from configsvc.schemas import Configuration

# Every statement that creates or changes a configuration appends its revision in the same
# statement (a data-modifying CTE): one round trip, and no version without its revision.
INSERT = Prepared(
    "configurations_insert",
    """
WITH created AS (
    INSERT INTO configurations (id, application_id, name, comments, config)
    VALUES (%(id)s, %(application_id)s, %(name)s, %(comments)s, %(config)s)
    RETURNING id, application_id, name, comments, config, version, created_at, updated_at
), revision AS (
    INSERT INTO configuration_revisions (configuration_id, version, name, comments, config, created_at)
    SELECT id, version, name, comments, config, updated_at FROM created
)
SELECT * FROM created
""",
)
SELECT_ONE = Prepared(
    "configurations_select_one",
    """
SELECT id, application_id, name, comments, config, version, created_at, updated_at
FROM configurations
WHERE id = %(id)s
""",
)
# The read path: PostgreSQL renders the exact JSON of the API's Configuration (same keys, same
# order, RFC 3339 UTC timestamps with microseconds), so the service passes bytes through instead of
# parsing JSONB into Python objects only to serialise them again.
SELECT_ONE_JSON = Prepared(
    "configurations_select_one_json",
    """
SELECT version, json_build_object(
    'id', id, 'application_id', application_id, 'name', name, 'comments', comments, 'config', config,
    'version', version,
    'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'updated_at', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
)::text AS body
FROM configurations
WHERE id = %(id)s
""",
)
# The version in the WHERE clause makes If-Match atomic under READ COMMITTED: a concurrent
# writer that got there first leaves this UPDATE with no row (PostgreSQL re-checks the WHERE
# clause against the row it waited for). application_id is immutable: it may only be repeated.
UPDATE = Prepared(
    "configurations_update",
    """
WITH updated AS (
    UPDATE configurations
    SET name = %(name)s, comments = %(comments)s, config = %(config)s, version = version + 1,
        updated_at = greatest(now(), updated_at + interval '1 microsecond')
    WHERE id = %(id)s
      AND (%(application_id)s::varchar IS NULL OR application_id = %(application_id)s)
      AND (%(expected)s::int[] IS NULL OR version = ANY(%(expected)s::int[]))
    RETURNING id, application_id, name, comments, config, version, created_at, updated_at
), revision AS (
    INSERT INTO configuration_revisions (configuration_id, version, name, comments, config, created_at)
    SELECT id, version, name, comments, config, updated_at FROM updated
)
SELECT * FROM updated
""",
)
# Restoring writes a new version whose content is the old revision's: history only grows.
RESTORE = """
WITH updated AS (
    UPDATE configurations c
    SET name = r.name, comments = r.comments, config = r.config, version = c.version + 1,
        updated_at = greatest(now(), c.updated_at + interval '1 microsecond')
    FROM configuration_revisions r
    WHERE c.id = %(id)s AND r.configuration_id = c.id AND r.version = %(revision)s
      AND (%(expected)s::int[] IS NULL OR c.version = ANY(%(expected)s::int[]))
    RETURNING c.id, c.application_id, c.name, c.comments, c.config, c.version, c.created_at, c.updated_at
), revision AS (
    INSERT INTO configuration_revisions (configuration_id, version, name, comments, config, created_at)
    SELECT id, version, name, comments, config, updated_at FROM updated
)
SELECT * FROM updated
"""
# Only on the error paths: tell the reasons a conditional write matched no row apart.
SELECT_STATE = """
SELECT application_id, version,
       EXISTS (SELECT 1 FROM configuration_revisions r
               WHERE r.configuration_id = c.id AND r.version = %(revision)s) AS has_revision
FROM configurations c
WHERE id = %(id)s
"""

NAME_TAKEN = "this application already has a configuration with this name"
UNKNOWN_APPLICATION = "application_id does not refer to an existing application"


class ConfigurationsRepository:
    def __init__(self, session: Queries) -> None:
        self._session = session

    async def create(
        self, *, id: str, application_id: str, name: str, comments: str | None, config: dict[str, Any]
    ) -> Configuration:
        params = {"id": id, "application_id": application_id, "name": name, "comments": comments}
        params["config"] = Json(config)
        unknown_application = UnknownReference(UNKNOWN_APPLICATION, loc=("body", "application_id"))
        with constraint_errors(conflict=NAME_TAKEN, unknown_reference=unknown_application):
            row = await self._session.fetch_one(INSERT, params)
        return Configuration.from_row(row)

    async def get(self, id: str) -> Configuration:
        return Configuration.from_row(_found(await self._session.fetch_one(SELECT_ONE, {"id": id})))

    async def get_json(self, id: str) -> RenderedResource:
        """The configuration's JSON representation, rendered by PostgreSQL, with its version."""
        row = _found(await self._session.fetch_one(SELECT_ONE_JSON, {"id": id}))
        return RenderedResource(row["version"], row["body"].encode())

    async def replace(
        self,
        id: str,
        *,
        application_id: str | None,
        name: str,
        comments: str | None,
        config: dict[str, Any],
        expected_versions: list[int] | None = None,
    ) -> Configuration:
        """Write the new content as the next version; `expected_versions` is If-Match's list."""
        params = {
            "id": id,
            "application_id": application_id,
            "name": name,
            "comments": comments,
            "config": Json(config),
            "expected": expected_versions,
        }
        with constraint_errors(conflict=NAME_TAKEN):
            row = await self._session.fetch_one(UPDATE, params)
        if row is None:
            state = _found(await self._session.fetch_one(SELECT_STATE, {"id": id, "revision": 0}))
            _check_version(state, expected_versions)
            raise InvalidChange("application_id cannot be changed", loc=("body", "application_id"))
        return Configuration.from_row(row)

    async def restore(self, id: str, revision: int, *, expected_versions: list[int] | None = None) -> Configuration:
        """Write a new version with the name, comments and config of an earlier revision."""
        params = {"id": id, "revision": revision, "expected": expected_versions}
        with constraint_errors(conflict="another configuration of this application now has that revision's name"):
            row = await self._session.fetch_one(RESTORE, params)
        if row is None:
            state = _found(await self._session.fetch_one(SELECT_STATE, {"id": id, "revision": revision}))
            if not state["has_revision"]:
                raise NotFound("no such revision")
            _check_version(state, expected_versions)
            raise Conflict("the configuration changed while it was being restored; retry")
        return Configuration.from_row(row)


def _check_version(state: Row, expected_versions: list[int] | None) -> None:
    if expected_versions is not None and state["version"] not in expected_versions:
        raise PreconditionFailed("the configuration has changed since that version", current_version=state["version"])


def _found(row: Row | None) -> Row:
    if row is None:
        raise NotFound("no such configuration")
    return row
