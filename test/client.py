"""An in-process HTTP client for the app, with its lifespan (open/close the database) run."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from configsvc.settings import Settings


@asynccontextmanager
async def app_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://configsvc.test") as client:
            yield client


def settings_for(database_url: str, **overrides: object) -> Settings:
    """Settings for a test: no .env file, the test's own database."""
    return Settings(_env_file=None, database_url=database_url, **overrides)
