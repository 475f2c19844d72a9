import pytest
from ulid import ULID

from configsvc.access.principal import OPEN, Principal
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.audit import Author
from configsvc.views import audit

pytestmark = pytest.mark.anyio


async def test_events_come_newest_first_in_pages_and_a_token_sees_only_its_applications(session):
    apps = [str(ULID()) for _ in range(3)]
    for n, app in enumerate(apps):
        await ApplicationsRepository(session, Author("01JTOKEN0000000000000000AA", "ci", f"r{n}")).create(
            id=app, name=f"a{n}", comments=None
        )

    first = await audit.events(session, limit=2, before=None, application=None, reader=OPEN)
    rest = await audit.events(session, limit=2, before=first.next_cursor, application=None, reader=OPEN)
    scoped = Principal.of_token("01JTOKEN0000000000000000BB", "svc", [f"read:{apps[1]}"], None)
    seen = await audit.events(session, limit=10, before=None, application=None, reader=scoped)

    assert [e["resource"]["id"] for e in first.json() + rest.json()] == apps[::-1]
    assert rest.next_cursor is None
    assert [e["actor"]["name"] for e in first.json()] == ["ci", "ci"]
    assert [e["application_id"] for e in seen.json()] == [apps[1]]
    only = await audit.events(session, limit=10, before=None, application=apps[0], reader=OPEN)
    assert [e["request_id"] for e in only.json()] == ["r0"]
