"""The application factory: one FastAPI app per Settings, the database opened by its lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from configsvc.db import Database
from configsvc.settings import Settings


def create_database(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        lease_timeout=settings.db_lease_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = create_database(settings)
        await database.open()
        app.state.database = database
        try:
            yield
        finally:
            await database.close()

    app = FastAPI(title="configsvc", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    return app
