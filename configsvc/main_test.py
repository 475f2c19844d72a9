import pytest

from configsvc.main import create_app
from configsvc.settings import Settings
from test.client import app_client

pytestmark = pytest.mark.anyio


async def test_lifespan_opens_the_database_and_closes_it_on_shutdown(database_url):
    settings = Settings(_env_file=None, database_url=database_url, db_pool_max_size=3)
    app = create_app(settings)

    async with app_client(app) as client:
        database = app.state.database
        assert database.max_size == 3
        assert (await client.get("/openapi.json")).status_code == 200

    assert database._pool is None
