import pytest
from ulid import ULID

from configsvc.unit_of_work import UnitOfWork
from configsvc.views import etags
from configsvc.views.keys import ByName, ConfigurationsPage

pytestmark = pytest.mark.anyio


async def test_the_current_etag_of_each_watchable_read_and_none_for_what_is_not_there(database, session):
    async with UnitOfWork(database) as uow:
        app_id, config_id = str(ULID()), str(ULID())
        await uow.applications.create(id=app_id, name="a", comments=None)
        await uow.configurations.create(id=config_id, application_id=app_id, name="c", comments=None, config={})
        await uow.commit()
    missing = str(ULID())

    assert await etags.configurations(session, [config_id, missing]) == {config_id: '"1"', missing: None}
    found, nope = ByName("a", "c"), ByName("a", "nope")
    assert await etags.by_names(session, [found, nope]) == {found: '"1"', nope: None}
    assert await etags.applications(session, [app_id, missing]) == {app_id: '"1.1"', missing: None}
    page, gone = ConfigurationsPage(app_id, 10, None), ConfigurationsPage(missing, 10, None)
    assert await etags.collections(session, [page, gone]) == {page: '"1"', gone: None}
