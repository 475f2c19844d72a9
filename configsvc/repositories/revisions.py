"""The configuration_revisions table: reads of the immutable history (writes ride with each change)."""

from configsvc.db import Queries
from configsvc.errors import NotFound
from configsvc.schemas import Revision

SELECT_PAGE = """
SELECT configuration_id, version, name, comments, config, created_at
FROM configuration_revisions
WHERE configuration_id = %(id)s AND (%(before)s::int IS NULL OR version < %(before)s)
ORDER BY version DESC
LIMIT %(limit)s
"""
SELECT_ONE = """
SELECT configuration_id, version, name, comments, config, created_at
FROM configuration_revisions
WHERE configuration_id = %(id)s AND version = %(version)s
"""
CONFIGURATION_EXISTS = "SELECT 1 AS present FROM configurations WHERE id = %(id)s"


class RevisionsRepository:
    def __init__(self, session: Queries) -> None:
        self._session = session

    async def list(self, configuration_id: str, *, limit: int, before: int | None = None) -> list[Revision]:
        """Newest first; `before` is the keyset cursor (a version number)."""
        rows = await self._session.fetch_all(SELECT_PAGE, {"id": configuration_id, "limit": limit, "before": before})
        if not rows and await self._session.fetch_one(CONFIGURATION_EXISTS, {"id": configuration_id}) is None:
            raise NotFound("no such configuration")
        return [Revision.from_row(row) for row in rows]

    async def get(self, configuration_id: str, version: int) -> Revision:
        row = await self._session.fetch_one(SELECT_ONE, {"id": configuration_id, "version": version})
        if row is None:
            raise NotFound("no such configuration revision")
        return Revision.from_row(row)
