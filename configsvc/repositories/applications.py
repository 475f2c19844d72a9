"""The applications table: its SQL and the repository that runs it."""

from configsvc.db import Queries, Row
from configsvc.errors import NotFound, PreconditionFailed
from configsvc.repositories.integrity import constraint_errors
from configsvc.schemas import Application, ApplicationSummary

# configuration_ids: the application's configurations in id (creation) order, read from the
# (application_id, id) index in the same statement, so a single round trip serves the response.
INSERT = """
INSERT INTO applications (id, name, comments) VALUES (%(id)s, %(name)s, %(comments)s)
RETURNING id, name, comments, version, created_at, updated_at, ARRAY[]::varchar[] AS configuration_ids
"""
SELECT_ONE = """
SELECT id, name, comments, version, created_at, updated_at,
       ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = a.id ORDER BY c.id) AS configuration_ids
FROM applications a
WHERE id = %(id)s
"""
SELECT_BY_NAME = "SELECT id, name, comments, version, created_at, updated_at FROM applications WHERE name = %(name)s"
# updated_at moves forward on every update, even two within the same clock tick. The version
# in the WHERE clause makes If-Match atomic (see configurations.UPDATE).
UPDATE = """
UPDATE applications a
SET name = %(name)s, comments = %(comments)s, version = version + 1,
    updated_at = greatest(now(), updated_at + interval '1 microsecond')
WHERE id = %(id)s AND (%(expected)s::int[] IS NULL OR version = ANY(%(expected)s::int[]))
RETURNING id, name, comments, version, created_at, updated_at,
          ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = a.id ORDER BY c.id) AS configuration_ids
"""
SELECT_VERSION = "SELECT version FROM applications WHERE id = %(id)s"
SELECT_PAGE = """
SELECT id, name, comments, version, created_at, updated_at
FROM applications
WHERE (%(after)s::varchar IS NULL OR id > %(after)s)
  AND (%(name)s::varchar IS NULL OR name = %(name)s)
ORDER BY id
LIMIT %(limit)s
"""

NAME_TAKEN = "an application with this name already exists"


class ApplicationsRepository:
    def __init__(self, session: Queries) -> None:
        self._session = session

    async def create(self, *, id: str, name: str, comments: str | None) -> Application:
        with constraint_errors(conflict=NAME_TAKEN):
            row = await self._session.fetch_one(INSERT, {"id": id, "name": name, "comments": comments})
        return Application.model_validate(row)

    async def get(self, id: str) -> Application:
        return Application.model_validate(_found(await self._session.fetch_one(SELECT_ONE, {"id": id})))

    async def get_by_name(self, name: str) -> ApplicationSummary:
        row = await self._session.fetch_one(SELECT_BY_NAME, {"name": name})
        return ApplicationSummary.model_validate(_found(row))

    async def replace(
        self, id: str, *, name: str, comments: str | None, expected_versions: list[int] | None = None
    ) -> Application:
        """Write the next version; `expected_versions` is If-Match's list (None: unconditional)."""
        params = {"id": id, "name": name, "comments": comments, "expected": expected_versions}
        with constraint_errors(conflict=NAME_TAKEN):
            row = await self._session.fetch_one(UPDATE, params)
        if row is None:
            current = _found(await self._session.fetch_one(SELECT_VERSION, {"id": id}))["version"]
            raise PreconditionFailed("the application has changed since that version", current_version=current)
        return Application.model_validate(row)

    async def list(self, *, limit: int, after: str | None = None, name: str | None = None) -> list[ApplicationSummary]:
        rows = await self._session.fetch_all(SELECT_PAGE, {"limit": limit, "after": after, "name": name})
        return [ApplicationSummary.model_validate(row) for row in rows]


def _found(row: Row | None) -> Row:
    if row is None:
        raise NotFound("no such application")
    return row
