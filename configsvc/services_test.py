import pytest

from configsvc import migrations
from configsvc.main import create_app
from configsvc.services import Services
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio


async def test_an_app_has_its_services_from_the_start_and_its_database_while_it_serves(database_url):
    app = create_app(settings_for(database_url))
    services: Services = app.state.services
    assert services.migrations == migrations.discover(migrations.MIGRATIONS_DIR)
    assert services.settings.database_url == database_url
    assert not hasattr(services, "reader")  # opened by the lifespan, not before

    async with app_client(app):
        assert services.database.is_open
        assert services.reader.listening
        assert services.watches.held == 0
