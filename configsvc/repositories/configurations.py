"""Writes to the configurations table, each with the revision it appends: the SQL and its rules."""

from collections.abc import Awaitable, Callable
from typing import Any

from psycopg2.extras import Json

from configsvc.db.session import Session
from configsvc.db.statements import Prepared, Row
from configsvc.errors import (
    Conflict,
    DomainError,
    InvalidChange,
    InvalidContent,
    NotFound,
    PreconditionFailed,
    UnknownReference,
)
from configsvc.repositories.audit import NOBODY, Author, audited
from configsvc.repositories.configuration_schemas import (
    ATTEMPTS,
    BODY_CONFIG,
    CONFIG_REFUSED,
    KEPT_CHANGING,
    STORED_CONFIG,
    ConfigurationSchemasRepository,
)
from configsvc.repositories.outcomes import constraint_outcomes
from configsvc.representations import CONFIGURATION_FIELDS, Representation, configuration_etag, one
from configsvc.validation.compiler import Compiled
from configsvc.validation.validators import Validators


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
# The schema guard comes last (the planner orders a function's call after the plain comparisons):
# it locks the row and reads the schema's digest after the lock (migration 0006), so the write
# happens only if the config was checked against the schema stored now (NULL: none).
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
      AND configuration_schema_digest(id) IS NOT DISTINCT FROM %(digest)s::char(64)
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
      AND configuration_schema_digest(c.id) IS NOT DISTINCT FROM %(digest)s::char(64)
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
               WHERE r.configuration_id = c.id AND r.version = %(revision)s) AS has_revision,
       (SELECT s.digest FROM configuration_schemas s WHERE s.configuration_id = c.id) AS schema_digest
FROM configurations c
WHERE id = %(id)s
""".format(etag=configuration_etag("c"))

SELECT_REVISION_CONFIG = """
SELECT config FROM configuration_revisions WHERE configuration_id = %(id)s AND version = %(revision)s
"""

NAME_TAKEN = "this application already has a configuration with this name"
UNKNOWN_APPLICATION = "application_id does not refer to an existing application"
REVISION_REFUSED = "that revision's config does not satisfy the configuration's schema; see errors"


class ConfigurationsRepository:
    def __init__(
        self, session: Session, author: Author = NOBODY, schemas: ConfigurationSchemasRepository | None = None
    ) -> None:
        self._session = session
        self._author = author
        # What guards a config's content; by default with a validator cache of its own.
        self._schemas = (
            schemas if schemas is not None else ConfigurationSchemasRepository(session, Validators(), author)
        )

    async def create(
        self,
        *,
        id: str,
        application_id: str,
        name: str,
        comments: str | None,
        config: dict[str, Any],
        schema: tuple[dict[str, Any], Compiled] | None = None,
    ) -> Representation:
        """Insert version 1; with `schema` (compiled already), born guarded: the config is checked
        against it before anything is stored, and the schema stored with it."""
        if schema is not None:
            errors = schema[1].violations(config, BODY_CONFIG)
            if errors:
                raise InvalidContent(CONFIG_REFUSED, errors)
        params = {"id": id, "application_id": application_id, "name": name, "comments": comments}
        params |= {"config": Json(config)} | self._author.params()
        with constraint_outcomes(
            configurations_application_id_name_key=Conflict(NAME_TAKEN),
            configurations_application_id_fkey=UnknownReference(UNKNOWN_APPLICATION, field="application_id"),
        ):
            row = await self._session.fetch_one(INSERT, params)
        assert row is not None
        if schema is not None:
            await self._schemas.insert(id, *schema)
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

        async def write(digest: str | None) -> Row | None:
            with constraint_outcomes(configurations_application_id_name_key=Conflict(NAME_TAKEN)):
                return await self._session.fetch_one(UPDATE, params | {"digest": digest})

        async def content() -> dict[str, Any]:
            return config

        return await self._guarded(
            id,
            content,
            write,
            expected_etags=expected_etags,
            loc=BODY_CONFIG,
            refused=CONFIG_REFUSED,
            unexplained=InvalidChange("application_id cannot be changed", field="application_id"),
        )

    async def restore(self, id: str, revision: int, *, expected_etags: list[str] | None = None) -> Representation:
        """Write a new version with the name, comments and config of an earlier revision."""
        params = {"id": id, "revision": revision, "expected": expected_etags} | self._author.params()
        taken = Conflict("another configuration of this application now has that revision's name")
        restored: list[dict[str, Any]] = []  # the revision's config, read only if a schema needs it

        async def write(digest: str | None) -> Row | None:
            with constraint_outcomes(configurations_application_id_name_key=taken):
                return await self._session.fetch_one(RESTORE, params | {"digest": digest})

        async def content() -> dict[str, Any]:
            if not restored:
                row = await self._session.fetch_one(SELECT_REVISION_CONFIG, params)
                if row is None:
                    raise NotFound("no such revision")
                restored.append(row["config"])
            return restored[0]

        return await self._guarded(
            id,
            content,
            write,
            expected_etags=expected_etags,
            revision=revision,
            loc=STORED_CONFIG,
            refused=REVISION_REFUSED,
            unexplained=Conflict("the configuration changed while it was being restored; retry"),
        )

    async def delete(self, id: str, *, expected_etags: list[str] | None = None) -> None:
        """Delete the configuration (its application's seq moves, by trigger); its revisions stay."""
        params = {"id": id, "expected": expected_etags} | self._author.params()
        if await self._session.fetch_one(DELETE, params) is None:
            state = await self._state(id, revision=0)
            _check_etag(state, expected_etags)
            raise NotFound("no such configuration")  # deleted meanwhile: READ COMMITTED re-checked the row

    async def _guarded(
        self,
        id: str,
        content: Callable[[], Awaitable[dict[str, Any]]],
        write: Callable[[str | None], Awaitable[Row | None]],
        *,
        expected_etags: list[str] | None,
        loc: list[str | int],
        refused: str,
        unexplained: DomainError,
        revision: int = 0,
    ) -> Representation:
        """Check the content against the schema it is expected to have, then `write` it guarded by
        that schema's digest. A write that matched no row says why from the row's state: gone (404),
        stale If-Match (412), another schema than checked against (check again), or `unexplained`.
        A refusal counts only once the schema it came from is known to be the current one."""
        digest = self._schemas.expected_digest(id)  # most configurations have none: nothing to check
        for _ in range(ATTEMPTS):
            errors = await self._schemas.violations(id, digest, await content(), loc) if digest else []
            if errors == []:
                row = await write(digest)
                if row is not None:
                    return Representation.from_row(row)
            state = await self._state(id, revision=revision)
            if revision and not state["has_revision"]:
                raise NotFound("no such revision")
            _check_etag(state, expected_etags)
            if state["schema_digest"] == digest and errors is not None:
                if errors:
                    raise InvalidContent(refused, errors)
                raise unexplained
            digest = state["schema_digest"]
            self._schemas.learn(id, digest)
        raise Conflict(KEPT_CHANGING)

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
