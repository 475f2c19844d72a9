"""One transaction shared by the repositories of one request: rolled back unless committed."""

from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

import psycopg2

from configsvc.db import Database, Row, Session, Statement
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.repositories.idempotency import IdempotencyRepository
from configsvc.repositories.integrity import integrity_error
from configsvc.repositories.revisions import RevisionsRepository


class UnitOfWork:
    """Its repositories share one leased connection and that connection's transaction.

    The connection is leased (`async with database.lease()`, held by an exit stack) on the
    first query, not on entry: a request that fails validation, or needs no database, never
    takes a pooled connection and so never waits for one. A read-only unit of work runs in
    autocommit and has nothing to commit.
    """

    def __init__(self, database: Database, *, read_only: bool = False) -> None:
        self._database = database
        self._read_only = read_only
        self._stack = AsyncExitStack()
        self._session: Session | None = None
        self.applications = ApplicationsRepository(self)
        self.configurations = ConfigurationsRepository(self)
        self.revisions = RevisionsRepository(self)
        self.idempotency = IdempotencyRepository(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        # Releasing the lease rolls back whatever was not committed, and closes the
        # connection instead if the error may have left it broken.
        return await self._stack.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        if self._session is None:
            return
        try:
            await self._session.commit()
        except psycopg2.IntegrityError as error:
            # A deferred constraint fails only at COMMIT: still the client's conflict.
            raise integrity_error(error) from error

    async def rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()

    async def _leased(self) -> Session:
        if self._session is None:
            # Read-only work runs in autocommit: no BEGIN/COMMIT round trips. Each statement still
            # sees one consistent snapshot, which is why reads are written as single statements.
            lease = self._database.lease(autocommit=self._read_only)
            self._session = await self._stack.enter_async_context(lease)
        return self._session

    async def fetch_one(self, sql: Statement, params: object = None) -> Row | None:
        return await (await self._leased()).fetch_one(sql, params)

    async def fetch_all(self, sql: Statement, params: object = None) -> list[Row]:
        return await (await self._leased()).fetch_all(sql, params)

    async def execute(self, sql: Statement, params: object = None) -> int:
        return await (await self._leased()).execute(sql, params)
