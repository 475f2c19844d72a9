"""The configurations table: its SQL and the repository that runs it."""

from typing import Any

from psycopg2.extras import Json

from configsvc.db import Queries, Row
from configsvc.errors import InvalidChange, NotFound, UnknownReference
from configsvc.repositories.integrity import constraint_errors
from configsvc.schemas import Configuration

INSERT = """
INSERT INTO configurations (id, application_id, name, comments, config)
VALUES (%(id)s, %(application_id)s, %(name)s, %(comments)s, %(config)s)
RETURNING id, application_id, name, comments, config, created_at, updated_at
"""
SELECT_ONE = """
SELECT id, application_id, name, comments, config, created_at, updated_at
FROM configurations
WHERE id = %(id)s
"""
# application_id is immutable: a PUT may repeat it but not change it.
UPDATE = """
UPDATE configurations
SET name = %(name)s, comments = %(comments)s, config = %(config)s,
    updated_at = greatest(now(), updated_at + interval '1 microsecond')
WHERE id = %(id)s AND (%(application_id)s::varchar IS NULL OR application_id = %(application_id)s)
RETURNING id, application_id, name, comments, config, created_at, updated_at
"""
SELECT_APPLICATION_ID = "SELECT application_id FROM configurations WHERE id = %(id)s"

NAME_TAKEN = "this application already has a configuration with this name"
UNKNOWN_APPLICATION = "application_id does not refer to an existing application"


class ConfigurationsRepository:
    def __init__(self, session: Queries) -> None:
        self._session = session

    async def create(
        self, *, id: str, application_id: str, name: str, comments: str | None, config: dict[str, Any]
    ) -> Configuration:
        params = _params(id, application_id, name, comments, config)
        unknown_application = UnknownReference(UNKNOWN_APPLICATION, loc=("body", "application_id"))
        with constraint_errors(conflict=NAME_TAKEN, unknown_reference=unknown_application):
            row = await self._session.fetch_one(INSERT, params)
        return Configuration.model_validate(row)

    async def get(self, id: str) -> Configuration:
        return Configuration.model_validate(_found(await self._session.fetch_one(SELECT_ONE, {"id": id})))

    async def replace(
        self, id: str, *, application_id: str | None, name: str, comments: str | None, config: dict[str, Any]
    ) -> Configuration:
        params = _params(id, application_id, name, comments, config)
        with constraint_errors(conflict=NAME_TAKEN):
            row = await self._session.fetch_one(UPDATE, params)
        if row is None:
            # Only on the error path: tell "no such configuration" from "application_id changed".
            _found(await self._session.fetch_one(SELECT_APPLICATION_ID, {"id": id}))
            raise InvalidChange("application_id cannot be changed", loc=("body", "application_id"))
        return Configuration.model_validate(row)


def _params(
    id: str, application_id: str | None, name: str, comments: str | None, config: dict[str, Any]
) -> dict[str, object]:
    return {"id": id, "application_id": application_id, "name": name, "comments": comments, "config": Json(config)}


def _found(row: Row | None) -> Row:
    if row is None:
        raise NotFound("no such configuration")
    return row
