"""Writes to configuration_schemas, and the content check every write of a guarded config passes.

Every schema write locks the configuration's row before it reads the config it checks, and every
config write proves, under the same lock, that the schema it was checked against is still the one
stored (`configuration_schema_digest`, migration 0006): the two serialise, so a stored config
always satisfies its stored schema.
"""

import json
from typing import Any

from psycopg2.extras import Json

from configsvc.db.session import Session
from configsvc.errors import Conflict, InvalidContent, NotFound, PreconditionFailed
from configsvc.repositories.audit import NOBODY, Author, audited
from configsvc.representations import Representation
from configsvc.validation.compiler import Compiled
from configsvc.validation.validators import Validators
from configsvc.validation.violations import Loc

SCHEMA_ETAG = """('"' || s.version || '"')"""

# Also the configuration's current config, as of the lock (a writer that held it has committed).
LOCK_CONFIGURATION = "SELECT config FROM configurations WHERE id = %(id)s FOR NO KEY UPDATE"
SELECT_SCHEMA_STATE = f"""
SELECT s.version, {SCHEMA_ETAG} AS etag, s.schema IS NOT NULL AS present
FROM configuration_schemas s WHERE s.configuration_id = %(id)s
"""
# A schema's change is recorded in the audit like every write, in the same statement: on its
# configuration (resource), with the schema's version; the application is the configuration's.
_AUDITED = {
    "kind": "configuration",
    "id": "configuration_id",
    "application": "(SELECT c.application_id FROM configurations c WHERE c.id = written.configuration_id)",
    "version": "version",
}


def _upsert(action: str) -> str:
    return f"""
WITH written AS (
    INSERT INTO configuration_schemas AS s (configuration_id, schema) VALUES (%(id)s, %(schema)s)
    ON CONFLICT (configuration_id) DO UPDATE SET schema = EXCLUDED.schema, updated_at = now()
    RETURNING s.*
){audited("written", action=action, **_AUDITED)}
SELECT s.schema::text AS body, {SCHEMA_ETAG} AS etag, s.digest FROM written s
"""


CREATE = _upsert("schema.create")
REPLACE = _upsert("schema.replace")
REMOVE = f"""
WITH written AS (
    UPDATE configuration_schemas SET schema = NULL, updated_at = now() WHERE configuration_id = %(id)s
    RETURNING configuration_id, version
){audited("written", action="schema.delete", **_AUDITED)}
SELECT configuration_id FROM written
"""
# Text, parsed here: psycopg2 would parse jsonb with the stdlib too, and the size is the cache's cost.
SELECT_BY_DIGEST = """
SELECT schema::text AS schema FROM configuration_schemas WHERE configuration_id = %(id)s AND digest = %(digest)s
"""
SELECT_DIGEST = """
SELECT s.digest FROM configurations c LEFT JOIN configuration_schemas s ON s.configuration_id = c.id
WHERE c.id = %(id)s
"""

NO_CONFIGURATION = "no such configuration"
CONFIG_REFUSED = "config does not satisfy the configuration's schema; see errors"
KEPT_CHANGING = "the configuration's schema kept changing during this request; retry"
# A schema that changed between a check and the statement it guards is checked again; this many times.
ATTEMPTS = 5
NO_SCHEMA = "this configuration has no schema"
CURRENT_CONFIG_REFUSED = "the configuration's current config does not satisfy this schema; nothing was changed"
# Where a config's violations are located: in the request's body, or stored (a revision's, the
# current one when a schema is set).
BODY_CONFIG: Loc = ["body", "config"]
STORED_CONFIG: Loc = ["config"]


class ConfigurationSchemasRepository:
    def __init__(self, session: Session, validators: Validators, author: Author = NOBODY) -> None:
        self._session = session
        self._validators = validators
        self._author = author

    def compile(self, schema: dict[str, Any], *, loc: Loc) -> Compiled:
        """Compile a schema sent in a request (InvalidSchema when it is not one the service accepts)."""
        return self._validators.compile(schema, loc=loc)

    async def put(
        self, configuration_id: str, schema: dict[str, Any], compiled: Compiled, *, if_match: list[str] | None
    ) -> tuple[Representation, bool]:
        """Set the schema if the current config satisfies it; whether it was created (none before).
        `if_match`: the ETags If-Match lists (`*` as the current one), None without If-Match."""
        config = await self._lock(configuration_id)
        state = await self._session.fetch_one(SELECT_SCHEMA_STATE, {"id": configuration_id})
        present = state is not None and state["present"]
        _check_etag(state if present else None, if_match)
        errors = compiled.violations(config, STORED_CONFIG)
        if errors:
            raise InvalidContent(CURRENT_CONFIG_REFUSED, errors)
        return await self.insert(configuration_id, schema, compiled, replacing=present), not present

    async def insert(
        self, configuration_id: str, schema: dict[str, Any], compiled: Compiled, *, replacing: bool = False
    ) -> Representation:
        """Store the schema, compiled and checked already (a new configuration's comes here directly)."""
        params = {"id": configuration_id, "schema": Json(schema)} | self._author.params()
        row = await self._session.fetch_one(REPLACE if replacing else CREATE, params)
        assert row is not None
        self._validators.keep(row["digest"], compiled)
        self._validators.learn(configuration_id, row["digest"])
        return Representation.from_row(row)

    async def remove(self, configuration_id: str, *, if_match: list[str] | None) -> None:
        await self._lock(configuration_id)
        state = await self._session.fetch_one(SELECT_SCHEMA_STATE, {"id": configuration_id})
        if state is None or not state["present"]:
            raise NotFound(NO_SCHEMA)
        _check_etag(state, if_match)
        await self._session.execute(REMOVE, {"id": configuration_id} | self._author.params())
        self._validators.learn(configuration_id, None)

    async def current_digest(self, configuration_id: str) -> str | None:
        """The digest of the configuration's schema (None: it has none); NotFound without the configuration."""
        row = await self._session.fetch_one(SELECT_DIGEST, {"id": configuration_id})
        if row is None:
            raise NotFound(NO_CONFIGURATION)
        self._validators.learn(configuration_id, row["digest"])
        return row["digest"]

    async def check(self, configuration_id: str, config: dict[str, Any], loc: Loc) -> None:
        """Refuse `config` as a write of it would be refused now (for a candidate: nothing is stored)."""
        for _ in range(ATTEMPTS):
            digest = await self.current_digest(configuration_id)
            errors = await self.violations(configuration_id, digest, config, loc)
            if errors is not None:
                if errors:
                    raise InvalidContent(CONFIG_REFUSED, errors)
                return
        raise Conflict(KEPT_CHANGING)

    def expected_digest(self, configuration_id: str) -> str | None:
        return self._validators.expected_digest(configuration_id)

    def learn(self, configuration_id: str, digest: str | None) -> None:
        self._validators.learn(configuration_id, digest)

    async def violations(
        self, configuration_id: str, digest: str | None, config: dict[str, Any], loc: Loc
    ) -> list[dict[str, Any]] | None:
        """What the schema of `digest` refuses in `config` ([] when nothing, or when there is no schema);
        None when that schema is no longer stored (the guess was stale)."""
        if digest is None:
            return []
        compiled = self._validators.get(digest)
        if compiled is None:
            row = await self._session.fetch_one(SELECT_BY_DIGEST, {"id": configuration_id, "digest": digest})
            if row is None:
                return None
            compiled = self._validators.compile(json.loads(row["schema"]), loc=["schema"])
            self._validators.keep(digest, compiled)
        return compiled.violations(config, loc)

    async def _lock(self, configuration_id: str) -> dict[str, Any]:
        row = await self._session.fetch_one(LOCK_CONFIGURATION, {"id": configuration_id})
        if row is None:
            raise NotFound(NO_CONFIGURATION)
        return row["config"]


def _check_etag(state: dict[str, Any] | None, if_match: list[str] | None) -> None:
    """If-Match holds when a schema is current and its ETag is listed (`*`: any current one)."""
    if if_match is None:
        return
    if state is None or (if_match != ["*"] and state["etag"] not in if_match):
        raise PreconditionFailed(
            "the schema has changed since that ETag" if state else "this configuration has no schema",
            current_version=state["version"] if state else None,
            current_etag=state["etag"] if state else None,
        )
