import pytest

from configsvc import migrations
from configsvc.db.session import Session
from configsvc.views.health import applied_migrations

pytestmark = pytest.mark.anyio


async def test_a_migrated_database_has_applied_every_shipped_migration(session):
    shipped = {(file.version, file.checksum) for file in migrations.discover(migrations.MIGRATIONS_DIR)}

    assert await applied_migrations(session) == shipped


async def test_a_database_never_migrated_has_applied_none(empty_database_url):
    from test.pools import open_database

    async with open_database(empty_database_url) as database, Session(database, autocommit=True) as session:
        assert await applied_migrations(session) == set()
