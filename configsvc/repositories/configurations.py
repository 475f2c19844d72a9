"""Writes to the configurations table, each with the revision it appends: the SQL and its rules."""

from typing import Any

from psycopg2.extras import Json

from configsvc.db.session import Session
from configsvc.db.statements import Prepared, Row
from configsvc.errors import Conflict, InvalidChange, NotFound, PreconditionFailed, UnknownReference
from configsvc.repositories.audit import NOBODY, Author, audited
from configsvc.repositories.outcomes import constraint_outcomes
from configsvc.representations import CONFIGURATION_FIELDS, Representation, configuration_etag, one


def with_revision(change: str, action: str) -> str:
    """`change` (an INSERT or UPDATE of configurations, RETURNING *) together with the revision it
    appends and its audit event, in the same statement (one round trip, and no version without its
    revision and its author), giving the representation of the result."""
    return f"""
WITH changed AS ({change}),
revision AS (
    INSERT INTO configuration_revisions
        (configuration_id, version, name, comments, config, created_at, application_id, actor_token_id, actor_name)
    SELECT id, version, name, comments, config, updated_at, application_id, %(actor_token_id)s, %(actor_name)s
    FROM changed
){audited("changed", action=action, kind="configuration", id="id", application="application_id", version="version")}
{one(CONFIGURATION_FIELDS, "FROM changed c", etag=configuration_etag("shown"))}"""


INSERT = Prepared(
    "configurations_insert",
    with_revision(
        """
    INSERT INTO configurations (id, application_id, name, comments, config)
    VALUES (%(id)s, %(application_id)s, %(name)s, %(comments)s, %(config)s)
    RETURNING *""",
        "configuration.create",
    ),
)
# The version in the WHERE clause makes If-Match atomic under READ COMMITTED: a concurrent
# writer that got there first leaves this UPDATE with no row (PostgreSQL re-checks the WHERE
# clause against the row it waited for). application_id is immutable: it may only be repeated.
UPDATE = Prepared(
    "configurations_update",
    with_revision(
        """
    UPDATE configurations
    SET name = %(name)s, comments = %(comments)s, config = %(config)s, version = version + 1,
        updated_at = greatest(now(), updated_at + interval '1 microsecond')
    WHERE id = %(id)s
      AND (%(application_id)s::varchar IS NULL OR application_id = %(application_id)s)
      AND (%(expected)s::text[] IS NULL OR {etag} = ANY(%(expected)s::text[]))
    RETURNING *""".format(etag=configuration_etag("configurations")),
        "configuration.replace",
    ),
)
# Restoring writes a new version whose content is the old revision's: history only grows.
RESTORE = with_revision(
    """
    UPDATE configurations c
    SET name = r.name, comments = r.comments, config = r.config, version = c.version + 1,
        updated_at = greatest(now(), c.updated_at + interval '1 microsecond')
    FROM configuration_revisions r
    WHERE c.id = %(id)s AND r.configuration_id = c.id AND r.version = %(revision)s
      AND (%(expected)s::text[] IS NULL OR {etag} = ANY(%(expected)s::text[]))
    RETURNING c.*""".format(etag=configuration_etag("c")),
    "configuration.restore",
)
# Its revisions stay: history is never rewritten, and they are how a deleted configuration's
# content can be found again (GET .../revisions answers for it still).
DELETE = (
    """
WITH deleted AS (
    DELETE FROM configurations c
    WHERE id = %(id)s AND (%(expected)s::text[] IS NULL OR {etag} = ANY(%(expected)s::text[]))
    RETURNING id, application_id, version
)""".format(etag=configuration_etag("c"))
    + audited(
        "deleted",
        action="configuration.delete",
        kind="configuration",
        id="id",
        application="application_id",
        version="version",
    )
    + "\nSELECT id FROM deleted"
)
# Only on the error paths: tell the reasons a conditional write matched no row apart.
SELECT_STATE = """
SELECT application_id, version, {etag} AS etag,
       EXISTS (SELECT 1 FROM configuration_revisions r
               WHERE r.configuration_id = c.id AND r.version = %(revision)s) AS has_revision
FROM configurations c
WHERE id = %(id)s
""".format(etag=configuration_etag("c"))

NAME_TAKEN = "this application already has a configuration with this name"
UNKNOWN_APPLICATION = "application_id does not refer to an existing application"


class ConfigurationsRepository:
    def __init__(self, session: Session, author: Author = NOBODY) -> None:
        self._session = session
        self._author = author

    async def create(
        self, *, id: str, application_id: str, name: str, comments: str | None, config: dict[str, Any]
    ) -> Representation:
        params = {"id": id, "application_id": application_id, "name": name, "comments": comments}
        params |= {"config": Json(config)} | self._author.params()
        with constraint_outcomes(
            configurations_application_id_name_key=Conflict(NAME_TAKEN),
            configurations_application_id_fkey=UnknownReference(UNKNOWN_APPLICATION, field="application_id"),
        ):
            row = await self._session.fetch_one(INSERT, params)
        assert row is not None
        return Representation.from_row(row)

    async def replace(
        self,
        id: str,
        *,
        application_id: str | None,
        name: str,
        comments: str | None,
        config: dict[str, Any],
        expected_etags: list[str] | None = None,
    ) -> Representation:
        """Write the new content as the next version; `expected_etags` is If-Match's list."""
        params = {
            "id": id,
            "application_id": application_id,
            "name": name,
            "comments": comments,
            "config": Json(config),
            "expected": expected_etags,
        } | self._author.params()
        with constraint_outcomes(configurations_application_id_name_key=Conflict(NAME_TAKEN)):
            row = await self._session.fetch_one(UPDATE, params)
        if row is None:
            state = await self._state(id, revision=0)
            _check_etag(state, expected_etags)
            raise InvalidChange("application_id cannot be changed", field="application_id")
        return Representation.from_row(row)

    async def restore(self, id: str, revision: int, *, expected_etags: list[str] | None = None) -> Representation:
        """Write a new version with the name, comments and config of an earlier revision."""
        params = {"id": id, "revision": revision, "expected": expected_etags} | self._author.params()
        taken = Conflict("another configuration of this application now has that revision's name")
        with constraint_outcomes(configurations_application_id_name_key=taken):
            row = await self._session.fetch_one(RESTORE, params)
        if row is None:
            state = await self._state(id, revision=revision)
            if not state["has_revision"]:
                raise NotFound("no such revision")
            _check_etag(state, expected_etags)
            raise Conflict("the configuration changed while it was being restored; retry")
        return Representation.from_row(row)

    async def delete(self, id: str, *, expected_etags: list[str] | None = None) -> None:
        """Delete the configuration (its application's seq moves, by trigger); its revisions stay."""
        params = {"id": id, "expected": expected_etags} | self._author.params()
        if await self._session.fetch_one(DELETE, params) is None:
            state = await self._state(id, revision=0)
            _check_etag(state, expected_etags)
            raise NotFound("no such configuration")  # deleted meanwhile: READ COMMITTED re-checked the row

    async def _state(self, id: str, *, revision: int) -> Row:
        state = await self._session.fetch_one(SELECT_STATE, {"id": id, "revision": revision})
        if state is None:
            raise NotFound("no such configuration")
        return state


def _check_etag(state: Row, expected_etags: list[str] | None) -> None:
    if expected_etags is not None and state["etag"] not in expected_etags:
        raise PreconditionFailed(
            "the configuration has changed since that ETag",
            current_version=state["version"],
            current_etag=state["etag"],
        )
