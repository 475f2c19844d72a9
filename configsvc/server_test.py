import signal

import psycopg2
import pytest

from configsvc import migrations
from test.serving import free_port, start, stop, wait_for_http

# Real servers or processes: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow


def test_run_applies_migrations_then_serves_until_interrupted(empty_database_url):
    port = free_port()
    server = start("scripts.run", {"DATABASE_URL": empty_database_url, "PORT": str(port), "LOG_LEVEL": "INFO"})
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/openapi.json", server) == 200
    finally:
        output = stop(server, signal.SIGINT)

    assert server.returncode == 0, output
    assert "applied migration 0001_applications_and_configurations.sql" in output
    conn = psycopg2.connect(empty_database_url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM migrations")
            assert cursor.fetchone() == (len(migrations.discover(migrations.MIGRATIONS_DIR)),)
    finally:
        conn.close()
