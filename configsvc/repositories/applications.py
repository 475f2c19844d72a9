"""Writes to the applications table: the SQL and the rules it enforces."""

from configsvc.db.session import Session
from configsvc.errors import Conflict, NotFound, PreconditionFailed
from configsvc.repositories.outcomes import constraint_outcomes
from configsvc.representations import APPLICATION_FIELDS, Representation, one

INSERT = """
WITH created AS (
    INSERT INTO applications (id, name, comments) VALUES (%(id)s, %(name)s, %(comments)s) RETURNING *
)
""" + one(APPLICATION_FIELDS, "FROM created a")
# updated_at moves forward on every update, even two within the same clock tick. The version
# in the WHERE clause makes If-Match atomic (see configurations.UPDATE).
UPDATE = """
WITH updated AS (
    UPDATE applications
    SET name = %(name)s, comments = %(comments)s, version = version + 1,
        updated_at = greatest(now(), updated_at + interval '1 microsecond')
    WHERE id = %(id)s AND (%(expected)s::int[] IS NULL OR version = ANY(%(expected)s::int[]))
    RETURNING *
)
""" + one(APPLICATION_FIELDS, "FROM updated a")
SELECT_VERSION = "SELECT version FROM applications WHERE id = %(id)s"

NAME_TAKEN = "an application with this name already exists"


class ApplicationsRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def create(self, *, id: str, name: str, comments: str | None) -> Representation:
        with constraint_outcomes(applications_name_key=Conflict(NAME_TAKEN)):
            row = await self._session.fetch_one(INSERT, {"id": id, "name": name, "comments": comments})
        assert row is not None
        return Representation.from_row(row)

    async def replace(
        self, id: str, *, name: str, comments: str | None, expected_versions: list[int] | None = None
    ) -> Representation:
        """Write the next version; `expected_versions` is If-Match's list (None: unconditional)."""
        params = {"id": id, "name": name, "comments": comments, "expected": expected_versions}
        with constraint_outcomes(applications_name_key=Conflict(NAME_TAKEN)):
            row = await self._session.fetch_one(UPDATE, params)
        if row is None:
            current = await self._session.fetch_one(SELECT_VERSION, {"id": id})
            if current is None:
                raise NotFound("no such application")
            raise PreconditionFailed(
                "the application has changed since that version", current_version=current["version"]
            )
        return Representation.from_row(row)
