import pytest
from ulid import ULID

from configsvc.unit_of_work import UnitOfWork
from configsvc.views.etags import current

pytestmark = pytest.mark.anyio


async def test_the_current_etag_of_each_kind_of_read_and_none_for_what_is_not_there(database, session):
    async with UnitOfWork(database) as uow:
        app_id, config_id = str(ULID()), str(ULID())
        await uow.applications.create(id=app_id, name="a", comments=None)
        await uow.configurations.create(id=config_id, application_id=app_id, name="c", comments=None, config={})
        await uow.commit()
    missing = str(ULID())
    keys = [
        ("configuration", config_id),
        ("configuration", missing),
        ("by_name", ("a", "c")),
        ("by_name", ("a", "nope")),
        ("application", app_id),
        ("application", missing),
        ("configurations_of", (app_id, 10, None)),
        ("configurations_of", (missing, 10, None)),
    ]

    etags = await current(session, keys)

    assert etags == {
        ("configuration", config_id): '"1"',
        ("configuration", missing): None,
        ("by_name", ("a", "c")): '"1"',
        ("by_name", ("a", "nope")): None,
        ("application", app_id): '"1.1"',
        ("application", missing): None,
        ("configurations_of", (app_id, 10, None)): '"1"',
        ("configurations_of", (missing, 10, None)): None,
    }
