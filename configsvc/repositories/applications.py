"""The applications table: its SQL and the repository that runs it."""

from configsvc.db import Prepared, Queries, RenderedPage, RenderedResource, Row
from configsvc.errors import NotFound, PreconditionFailed
from configsvc.repositories.integrity import constraint_errors
from configsvc.schemas import Application, ApplicationSummary

# configuration_ids: the application's configurations in id (creation) order, read from the
# (application_id, id) index in the same statement, so a single round trip serves the response.
INSERT = """
INSERT INTO applications (id, name, comments) VALUES (%(id)s, %(name)s, %(comments)s)
RETURNING id, name, comments, version, created_at, updated_at, ARRAY[]::varchar[] AS configuration_ids
"""
SELECT_ONE = Prepared(
    "applications_select_one",
    """
SELECT id, name, comments, version, created_at, updated_at,
       ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = a.id ORDER BY c.id) AS configuration_ids
FROM applications a
WHERE id = %(id)s
""",
)
# The read path renders the API's JSON in PostgreSQL (see configurations.SELECT_ONE_JSON).
SELECT_ONE_JSON = Prepared(
    "applications_select_one_json",
    """
SELECT version, json_build_object(
    'id', id, 'name', name, 'comments', comments, 'version', version,
    'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'updated_at', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'configuration_ids', ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = a.id ORDER BY c.id)
)::text AS body
FROM applications a
WHERE id = %(id)s
""",
)
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
# A prepared statement gets a generic plan, so the page and the name lookup are two statements
# (one walks the primary key from the cursor, the other uses the unique index on name).
SELECT_PAGE = Prepared(
    "applications_select_page",
    """
SELECT id, name, comments, version, created_at, updated_at
FROM applications
WHERE id > coalesce(%(after)s::varchar, '')
ORDER BY id
LIMIT %(limit)s
""",
)
# One page as a JSON array, plus whether more remain and the cursor for the next page: `limit` is
# the page size, and one row more is read to know if there is a next page. row_to_json over the
# rows of a subquery (keys from its column names) costs PostgreSQL about 20% less than
# json_build_object per row, and string_agg keeps the array compact (json_agg puts a newline
# between elements); to_char is the cheapest exact rendering of the timestamps found.
SELECT_PAGE_JSON = Prepared(
    "applications_select_page_json",
    """
WITH page AS (
    SELECT id, name, comments, version,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
           to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
    FROM applications
    WHERE id > coalesce(%(after)s::varchar, '')
    ORDER BY id
    LIMIT %(limit)s + 1
), shown AS (
    SELECT * FROM page ORDER BY id LIMIT %(limit)s
)
SELECT (SELECT '[' || coalesce(string_agg(row_to_json(shown)::text, ',' ORDER BY id), '') || ']' FROM shown) AS body,
       (SELECT max(id) FROM shown) AS last_id,
       (SELECT count(*) FROM page) > %(limit)s AS more
""",
)
SELECT_PAGE_BY_NAME = """
SELECT id, name, comments, version, created_at, updated_at
FROM applications
WHERE name = %(name)s AND id > coalesce(%(after)s::varchar, '')
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
        return Application.from_row(row)

    async def get(self, id: str) -> Application:
        return Application.from_row(_found(await self._session.fetch_one(SELECT_ONE, {"id": id})))

    async def get_json(self, id: str) -> RenderedResource:
        """The application's JSON representation, rendered by PostgreSQL, with its version."""
        row = _found(await self._session.fetch_one(SELECT_ONE_JSON, {"id": id}))
        return RenderedResource(row["version"], row["body"].encode())

    async def list_json(self, *, limit: int, after: str | None = None) -> RenderedPage:
        """A page of applications as JSON; `next_after` is set when more remain."""
        row = await self._session.fetch_one(SELECT_PAGE_JSON, {"limit": limit, "after": after})
        assert row is not None  # an aggregate always returns one row
        return RenderedPage(row["body"].encode(), row["last_id"] if row["more"] else None)

    async def get_by_name(self, name: str) -> ApplicationSummary:
        row = await self._session.fetch_one(SELECT_BY_NAME, {"name": name})
        return ApplicationSummary.from_row(_found(row))

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
        return Application.from_row(row)

    async def list(self, *, limit: int, after: str | None = None, name: str | None = None) -> list[ApplicationSummary]:
        statement = SELECT_PAGE if name is None else SELECT_PAGE_BY_NAME
        rows = await self._session.fetch_all(statement, {"limit": limit, "after": after, "name": name})
        return [ApplicationSummary.from_row(row) for row in rows]


def _found(row: Row | None) -> Row:
    if row is None:
        raise NotFound("no such application")
    return row
