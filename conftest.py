"""Shared fixtures: one PostgreSQL 16 per test session, one fresh migrated database per test."""

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from psycopg2 import sql as composition
from psycopg2.extensions import make_dsn

from configsvc import migrations
from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.embedded_postgres import embedded_postgres
from configsvc.main import create_app
from test.client import app_client, settings_for
from test.sql import sql


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """TEST_DATABASE_URL when given (it needs CREATEDB), else an embedded PostgreSQL 16."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    data_dir = memory_backed_directory() or tmp_path_factory.mktemp("embedded")
    with embedded_postgres(data_dir) as url:
        # A throwaway server: durability buys nothing here and costs most of the suite's time.
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            run_admin(url, composition.SQL("ALTER SYSTEM SET {} = off").format(composition.Identifier(setting)))
        run_admin(url, composition.SQL("SELECT pg_reload_conf()"))
        yield url
    shutil.rmtree(data_dir, ignore_errors=True)


def memory_backed_directory() -> Path | None:
    """A fresh folder in /dev/shm (tmpfs) where there is one: a test copies a database from the
    template, and on this machine's virtual disk that took 200-300 ms, in memory 15 ms."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    return Path(tempfile.mkdtemp(prefix="configsvc-test-", dir=shm))


def run_admin(server_url: str, statement: composition.Composable) -> None:
    sql(server_url, statement, autocommit=True)


def create_database(server_url: str, template: str | None = None) -> str:
    name = f"configsvc_test_{uuid.uuid4().hex[:16]}"
    statement = composition.SQL("CREATE DATABASE {}").format(composition.Identifier(name))
    if template:
        # FILE_COPY: for a small template in memory, copying files beats writing it through the WAL.
        statement = composition.SQL("{} TEMPLATE {} STRATEGY FILE_COPY").format(
            statement, composition.Identifier(template)
        )
    run_admin(server_url, statement)
    return name


def drop_database(server_url: str, name: str) -> None:
    run_admin(
        server_url, composition.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(composition.Identifier(name))
    )


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    """A database migrated once; each test copies it, which is much faster than migrating."""
    name = create_database(server_url)
    migrations.apply(make_dsn(server_url, dbname=name))
    yield name
    drop_database(server_url, name)


@pytest.fixture
def database_url(server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database of the test's own."""
    name = create_database(server_url, template=template_database)
    yield make_dsn(server_url, dbname=name)
    drop_database(server_url, name)


@pytest.fixture
def empty_database_url(server_url: str) -> Iterator[str]:
    """A fresh database with no migration applied."""
    name = create_database(server_url)
    yield make_dsn(server_url, dbname=name)
    drop_database(server_url, name)


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    """An empty folder for migration files a test writes itself."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    return folder


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An open connection pool on the test's database."""
    db = Database(database_url, min_size=0, max_size=4, lease_timeout=2.0, statement_timeout_ms=5000)
    await db.open()
    yield db
    await db.close()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[Session]:
    """An autocommitting lease for repository tests: each statement stands alone."""
    async with Session(database, autocommit=True) as leased:
        yield leased


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the whole app (middleware, routes, lifespan) on the test's database."""
    async with app_client(create_app(settings_for(database_url))) as http:
        yield http


@pytest.fixture(scope="session")
def two_instances(server_url: str, template_database: str):
    """Two `make serve` instances of two workers each, on one database of their own (shared by
    the tests that use them: they start in seconds, not milliseconds)."""
    from test.serving import ServeInstance

    name = create_database(server_url, template=template_database)
    url = make_dsn(server_url, dbname=name)
    instances = [ServeInstance(url), ServeInstance(url)]
    try:
        for instance in instances:
            instance.wait_ready()
        yield instances, url
    finally:
        for instance in instances:
            instance.stop()
        drop_database(server_url, name)
