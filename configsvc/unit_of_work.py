"""One transaction shared by the repositories of one request: rolled back unless committed."""

from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

import psycopg2

from configsvc.db import Database, Session
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.repositories.integrity import integrity_error


class UnitOfWork:
    """Leases one connection on entry; its repositories share that connection's transaction."""

    applications: ApplicationsRepository
    configurations: ConfigurationsRepository

    def __init__(self, database: Database) -> None:
        self._database = database
        self._stack = AsyncExitStack()
        self._session: Session | None = None

    async def __aenter__(self) -> Self:
        self._session = await self._stack.enter_async_context(self._database.lease())
        self.applications = ApplicationsRepository(self._session)
        self.configurations = ConfigurationsRepository(self._session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        # Releasing the lease rolls back whatever was not committed, and closes the
        # connection instead if the error may have left it broken.
        return await self._stack.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        try:
            await self._active().commit()
        except psycopg2.IntegrityError as error:
            # A deferred constraint fails only at COMMIT: still the client's conflict.
            raise integrity_error(error) from error

    async def rollback(self) -> None:
        await self._active().rollback()

    def _active(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session
