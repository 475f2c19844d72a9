"""Pools of a test's own: opened on its database with small sizes, closed when done."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from configsvc.db.pool import Database
from configsvc.db.session import Session


@asynccontextmanager
async def open_database(dsn: str, **overrides: object) -> AsyncIterator[Database]:
    options = {"min_size": 0, "max_size": 2, "lease_timeout": 2.0, "statement_timeout_ms": 5000} | overrides
    database = Database(dsn, **options)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def backend_pid(database: Database) -> int:
    async with Session(database) as session:
        return (await session.fetch_one("SELECT pg_backend_pid() AS pid"))["pid"]
