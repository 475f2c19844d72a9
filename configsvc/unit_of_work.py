"""One transaction shared by the repositories of one write: rolled back unless committed."""

from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.audit import NOBODY, Author
from configsvc.repositories.configuration_schemas import ConfigurationSchemasRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.repositories.idempotency import IdempotencyRepository
from configsvc.repositories.tokens import TokensRepository
from configsvc.validation.validators import Validators


class UnitOfWork:
    """Its repositories share one session, so one connection and that connection's transaction.

    The lease is deferred: the pooled connection is taken by the first query, not on entry, so a
    request that fails validation, or needs no database, never waits for one.
    """

    applications: ApplicationsRepository
    configurations: ConfigurationsRepository
    schemas: ConfigurationSchemasRepository
    idempotency: IdempotencyRepository
    tokens: TokensRepository

    def __init__(self, database: Database, author: Author = NOBODY, *, validators: Validators | None = None) -> None:
        self._database = database
        self.author = author  # recorded with every write: the audit, the revisions
        # The process's compiled schemas, shared by its units of work; without them (the seed, tests),
        # a cache of its own: the same answers, only compiled again.
        self._validators = validators if validators is not None else Validators()
        self._stack = AsyncExitStack()
        self._session: Session | None = None

    async def __aenter__(self) -> Self:
        session = await self._stack.enter_async_context(Session(self._database, deferred=True))
        self._session = session
        self.applications = ApplicationsRepository(session, self.author)
        self.schemas = ConfigurationSchemasRepository(session, self._validators, self.author)
        self.configurations = ConfigurationsRepository(session, self.author, self.schemas)
        self.idempotency = IdempotencyRepository(session, self.author)
        self.tokens = TokensRepository(session, self.author)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        # Releasing the lease rolls back whatever was not committed, and closes the
        # connection instead if the error may have left it broken.
        return await self._stack.__aexit__(exc_type, exc, tb)

    @property
    def session(self) -> Session:
        """The one session its repositories share."""
        assert self._session is not None, "entered first"
        return self._session

    async def commit(self) -> None:
        # A deferred constraint fails only here: still the client's conflict (ConstraintViolated).
        if self._session is not None:
            await self._session.commit()

    async def rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()
