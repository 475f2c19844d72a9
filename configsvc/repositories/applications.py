"""Writes to the applications table: the SQL and the rules it enforces."""

from configsvc.db.session import Session
from configsvc.db.statements import Row
from configsvc.errors import Conflict, NotFound, PreconditionFailed, StillReferenced
from configsvc.repositories.audit import NOBODY, Author, audited
from configsvc.repositories.outcomes import constraint_outcomes
from configsvc.representations import APPLICATION_FIELDS, Representation, application_etag, one

ETAG = application_etag("shown")
INSERT = f"""
WITH created AS (
    INSERT INTO applications (id, name, comments) VALUES (%(id)s, %(name)s, %(comments)s) RETURNING *
){audited("created", action="application.create", kind="application", id="id", application="id", version="version")}
{one(APPLICATION_FIELDS, "FROM created a", etag=ETAG)}"""
# updated_at moves forward on every update, even two within the same clock tick. The ETag in the
# WHERE clause makes If-Match atomic (see configurations.UPDATE): a configuration written meanwhile
# moved seq, so an If-Match from before it fails too, as the representation it names is gone.
UPDATE = f"""
WITH updated AS (
    UPDATE applications a
    SET name = %(name)s, comments = %(comments)s, version = version + 1,
        updated_at = greatest(now(), updated_at + interval '1 microsecond')
    WHERE id = %(id)s AND (%(expected)s::text[] IS NULL OR {application_etag("a")} = ANY(%(expected)s::text[]))
    RETURNING *
){audited("updated", action="application.replace", kind="application", id="id", application="id", version="version")}
{one(APPLICATION_FIELDS, "FROM updated a", etag=ETAG)}"""
# Only an application without configurations goes, and the foreign key has the last word: a
# configuration created concurrently makes either this delete or that create fail, never both
# succeed. If-Match is judged first (RFC 9110 §13.2.2), then the configurations are counted.
DELETE = f"""
WITH target AS (
    SELECT a.id, a.version, {application_etag("a")} AS etag,
           (SELECT count(*) FROM configurations c WHERE c.application_id = a.id) AS configurations
    FROM applications a WHERE a.id = %(id)s
), deleted AS (
    DELETE FROM applications a USING target t
    WHERE a.id = t.id AND t.configurations = 0 AND (%(expected)s::text[] IS NULL OR t.etag = ANY(%(expected)s::text[]))
    RETURNING a.id, a.version
){audited("deleted", action="application.delete", kind="application", id="id", application="id", version="version")}
SELECT t.version, t.etag, t.configurations, EXISTS (SELECT 1 FROM deleted) AS deleted FROM target t
"""
SELECT_STATE = f"""SELECT version, {application_etag("a")} AS etag FROM applications a WHERE id = %(id)s"""

NAME_TAKEN = "an application with this name already exists"


class ApplicationsRepository:
    def __init__(self, session: Session, author: Author = NOBODY) -> None:
        self._session = session
        self._author = author

    async def create(self, *, id: str, name: str, comments: str | None) -> Representation:
        with constraint_outcomes(applications_name_key=Conflict(NAME_TAKEN)):
            params = {"id": id, "name": name, "comments": comments} | self._author.params()
            row = await self._session.fetch_one(INSERT, params)
        assert row is not None
        return Representation.from_row(row)

    async def replace(
        self, id: str, *, name: str, comments: str | None, expected_etags: list[str] | None = None
    ) -> Representation:
        """Write the next version; `expected_etags` is If-Match's list (None: unconditional)."""
        params = {"id": id, "name": name, "comments": comments, "expected": expected_etags} | self._author.params()
        with constraint_outcomes(applications_name_key=Conflict(NAME_TAKEN)):
            row = await self._session.fetch_one(UPDATE, params)
        if row is None:
            raise await self._precondition_failed(id)
        return Representation.from_row(row)

    async def delete(self, id: str, *, expected_etags: list[str] | None = None) -> None:
        """Delete an application that has no configurations (409 with their count otherwise)."""
        concurrent = StillReferenced("a configuration was just created in this application; delete it first")
        with constraint_outcomes(configurations_application_id_fkey=concurrent):
            params = {"id": id, "expected": expected_etags} | self._author.params()
            state = await self._session.fetch_one(DELETE, params)
        if state is None:
            raise NotFound("no such application")
        if state["deleted"]:
            return
        if expected_etags is not None and state["etag"] not in expected_etags:
            raise _stale(state)
        raise StillReferenced(
            f"the application still has {state['configurations']} configuration(s); delete them first"
        )

    async def _precondition_failed(self, id: str) -> Exception:
        """Why a conditional write matched no row: the application is gone, or If-Match is stale."""
        state = await self._session.fetch_one(SELECT_STATE, {"id": id})
        return NotFound("no such application") if state is None else _stale(state)


def _stale(state: Row) -> PreconditionFailed:
    return PreconditionFailed(
        "the application has changed since that ETag", current_version=state["version"], current_etag=state["etag"]
    )
