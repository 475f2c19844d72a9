"""The client's fixtures: one real `serve` of the service for the whole session (it starts in
seconds; tests keep apart by using application names of their own)."""

import uuid
from collections.abc import Iterator

import pytest
from conftest import create_database, drop_database
from psycopg2.extensions import make_dsn
from test.serving import ServeInstance


@pytest.fixture(scope="session")
def service(server_url: str, template_database: str) -> Iterator[ServeInstance]:
    name = create_database(server_url, template=template_database)
    instance = ServeInstance(make_dsn(server_url, dbname=name), workers=1)
    try:
        instance.wait_ready()
        yield instance
    finally:
        instance.stop()
        drop_database(server_url, name)


@pytest.fixture
def app_name() -> str:
    """An application name no other test uses."""
    return f"app-{uuid.uuid4().hex[:12]}"
