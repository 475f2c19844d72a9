import asyncio
import time

import pytest

from configsvc.api.http.watching import requested_wait
from configsvc.main import create_app
from test.client import app_client, settings_for
from test.sql import sql

pytestmark = pytest.mark.anyio

APPS = "/api/v1/applications"
CONFIGS = "/api/v1/configurations"


@pytest.mark.parametrize(
    ("prefer", "seconds"),
    [
        (None, None),
        ("wait=30", 30),
        ("respond-async, wait=5", 5),
        ('WAIT = "7"', 7),
        ("wait=10; extra=1", 10),
        ("wait=soon", None),
        ("handling=lenient", None),
        ("", None),
    ],
)
def test_the_wait_preference_is_read_as_rfc_7240_writes_it(prefer, seconds):
    assert requested_wait(prefer) == seconds


@pytest.fixture
async def served(database_url):
    app = create_app(settings_for(database_url, watch_max_seconds=3))
    async with app_client(app) as client:
        application = (await client.post(APPS, json={"name": "watched app"})).json()
        created = await client.post(
            CONFIGS, json={"application_id": application["id"], "name": "c", "config": {"v": 0}}
        )
        yield client, app, application, created.json()


def watch(etag: str, seconds: int = 3) -> dict[str, str]:
    return {"If-None-Match": etag, "Prefer": f"wait={seconds}"}


async def timed(request):
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def test_a_held_get_answers_the_change_with_the_new_representation(served):
    client, _, _, config = served
    url = f"{CONFIGS}/{config['id']}"

    held = asyncio.ensure_future(timed(client.get(url, headers=watch('"1"'))))
    await asyncio.sleep(0.3)
    assert not held.done()
    written = await client.put(url, json={"name": "c", "config": {"v": 1}})
    response, elapsed = await held

    assert response.status_code == 200
    assert response.headers["etag"] == written.headers["etag"] == '"2"'
    assert response.content == written.content
    assert response.headers["preference-applied"] == "wait=3"
    assert 0.3 <= elapsed < 2


async def test_at_the_deadline_a_304_with_the_current_etag(served):
    client, _, _, config = served

    response, elapsed = await timed(client.get(f"{CONFIGS}/{config['id']}", headers=watch('"1"', 1)))

    assert (response.status_code, response.headers["etag"], response.content) == (304, '"1"', b"")
    assert response.headers["preference-applied"] == "wait=1"
    assert 1 <= elapsed < 2


@pytest.mark.slow
async def test_the_wait_is_capped_by_watch_max_seconds(served):
    client, _, _, config = served

    response, elapsed = await timed(client.get(f"{CONFIGS}/{config['id']}", headers=watch('"1"', 3600)))

    assert (response.status_code, response.headers["preference-applied"]) == (304, "wait=3")
    assert 3 <= elapsed < 4.5


async def test_without_if_none_match_or_with_a_stale_etag_it_answers_at_once(served):
    client, _, _, config = served
    url = f"{CONFIGS}/{config['id']}"

    plain, plain_elapsed = await timed(client.get(url, headers={"Prefer": "wait=3"}))
    stale, stale_elapsed = await timed(client.get(url, headers=watch('"0"')))

    assert (plain.status_code, stale.status_code) == (200, 200)
    assert "preference-applied" not in plain.headers
    assert "preference-applied" not in stale.headers
    assert plain_elapsed < 1
    assert stale_elapsed < 1


async def test_a_deletion_while_held_is_a_404(served):
    client, _, _, config = served
    url = f"{CONFIGS}/{config['id']}"

    held = asyncio.ensure_future(client.get(url, headers=watch('"1"')))
    await asyncio.sleep(0.2)
    assert (await client.delete(url)).status_code == 204
    response = await held

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_by_name_application_and_collection_are_watched_too(served):
    client, _, application, config = served
    app_url = f"{APPS}/{application['id']}"
    app_etag = (await client.get(app_url)).headers["etag"]
    collection_url = f"{app_url}/configurations"
    collection_etag = (await client.get(collection_url)).headers["etag"]
    by_name = client.get(f"{CONFIGS}/by-name", params={"application": "watched app", "name": "c"}, headers=watch('"1"'))

    held = [
        asyncio.ensure_future(by_name),
        asyncio.ensure_future(client.get(app_url, headers=watch(app_etag))),
        asyncio.ensure_future(client.get(collection_url, headers=watch(collection_etag))),
    ]
    await asyncio.sleep(0.3)
    assert not any(request.done() for request in held)
    await client.put(f"{CONFIGS}/{config['id']}", json={"name": "c", "config": {"v": 2}})
    responses = await asyncio.gather(*held)

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0].headers["etag"] == '"2"'
    assert responses[1].json()["seq"] == application["seq"] + 2  # the create and this replace
    assert responses[2].headers["etag"] != collection_etag
    assert all(r.headers["preference-applied"] == "wait=3" for r in responses)


async def test_a_write_by_sql_outside_the_service_is_seen_while_held(served, database_url):
    client, _, _, config = served
    url = f"{CONFIGS}/{config['id']}"

    held = asyncio.ensure_future(timed(client.get(url, headers=watch('"1"'))))
    await asyncio.sleep(0.3)
    sql(
        database_url, 'UPDATE configurations SET version = 5, config = \'{"by": "sql"}\' WHERE id = %s', (config["id"],)
    )
    response, elapsed = await held

    assert (response.status_code, response.json()["config"]) == (200, {"by": "sql"})
    assert elapsed < 1  # the trigger announced it


async def test_a_change_no_notification_announced_is_found_by_the_reconcile_within_a_second(served, database_url):
    client, _, _, config = served
    url = f"{CONFIGS}/{config['id']}"

    held = asyncio.ensure_future(timed(client.get(url, headers=watch('"1"'))))
    await asyncio.sleep(0.3)
    # replica mode skips triggers: no NOTIFY, as if the notification had been lost.
    sql(
        database_url,
        "SET session_replication_role = replica; UPDATE configurations SET version = 9 WHERE id = %s",
        (config["id"],),
    )
    response, elapsed = await held

    assert (response.status_code, response.headers["etag"]) == (200, '"9"')
    assert elapsed - 0.3 < 1.0


@pytest.mark.slow
async def test_more_held_than_watch_max_held_is_a_503_with_retry_after(database_url):
    app = create_app(settings_for(database_url, watch_max_held=1, watch_max_seconds=2))
    async with app_client(app) as client:
        application = (await client.post(APPS, json={"name": "a"})).json()
        url = f"{APPS}/{application['id']}"
        etag = (await client.get(url)).headers["etag"]
        first = asyncio.ensure_future(client.get(url, headers=watch(etag, 2)))
        await asyncio.sleep(0.2)
        second = await client.get(url, headers=watch(etag, 2))

        assert (second.status_code, second.headers["retry-after"]) == (503, "1")
        assert (await first).status_code == 304
        assert app.state.services.watches.held == 0


async def test_shutting_down_answers_held_requests_at_once_with_304(served):
    client, app, _, config = served

    held = asyncio.ensure_future(timed(client.get(f"{CONFIGS}/{config['id']}", headers=watch('"1"'))))
    await asyncio.sleep(0.2)
    app.state.services.watches.close()
    response, elapsed = await held
    later, later_elapsed = await timed(client.get(f"{CONFIGS}/{config['id']}", headers=watch('"1"')))

    assert (response.status_code, response.headers["etag"]) == (304, '"1"')
    assert elapsed < 1
    assert later.status_code == 304  # nothing is held any more
    assert later_elapsed < 0.5
