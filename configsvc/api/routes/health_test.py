import psycopg2
import pytest

from configsvc.db.session import Session
from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio


async def test_healthz_and_readyz_are_ok_on_a_migrated_database(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready", "access_control": "off"}


async def test_readyz_is_503_while_a_migration_is_pending(empty_database_url):
    async with app_client(create_app(settings_for(empty_database_url))) as client:
        response = await client.get("/readyz")
        alive = await client.get("/healthz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "migration" in response.json()["detail"]
    assert alive.status_code == 200


async def test_readyz_is_503_when_an_applied_migration_differs(database_url):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cursor:
        cursor.execute("UPDATE migrations SET checksum = repeat('0', 64)")
    conn.close()

    async with app_client(create_app(settings_for(database_url))) as client:
        assert (await client.get("/readyz")).status_code == 503


async def test_healthz_does_not_touch_the_database(database_url):
    app = create_app(settings_for(database_url, db_pool_min_size=0, db_pool_max_size=1, db_lease_timeout_seconds=0.1))
    async with app_client(app) as client, Session(app.state.services.database):
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
