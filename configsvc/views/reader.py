"""The read side's entry point: every GET's read, each on an autocommitting lease of its own."""

from collections.abc import Awaitable, Callable
from typing import Concatenate

from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.representations import Page, Representation
from configsvc.views import applications, configurations, health


class Reader:
    """Reads need no transaction: each is one statement, which sees one consistent snapshot, so it
    runs in autocommit (no BEGIN/COMMIT round trips) and reflects every write committed before it."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def _read[**P, T](
        self, view: Callable[Concatenate[Session, P], Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self._database.lease(autocommit=True) as session:
            return await view(session, *args, **kwargs)

    async def configuration(self, id: str) -> Representation:
        return await self._read(configurations.configuration, id)

    async def revisions(self, configuration_id: str, *, limit: int, before: int | None) -> Page:
        return await self._read(configurations.revisions, configuration_id, limit=limit, before=before)

    async def revision(self, configuration_id: str, version: int) -> Representation:
        return await self._read(configurations.revision, configuration_id, version)

    async def application(self, id: str) -> Representation:
        return await self._read(applications.application, id)

    async def applications(self, *, limit: int, after: str | None, name: str | None = None) -> Page:
        return await self._read(applications.applications, limit=limit, after=after, name=name)

    async def applied_migrations(self) -> set[tuple[int, str]]:
        return await self._read(health.applied_migrations)
