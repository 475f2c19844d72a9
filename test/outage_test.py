"""No request waits on a database that went away for longer than DB_STATEMENT_TIMEOUT_MS + 2 s:
a stopped server, killed backends, and a server that stops answering (its backends frozen), for
every way a request can be waiting on it."""

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from configsvc.main import create_app
from configsvc.views import kinds
from test.client import app_client, settings_for
from test.postgres import RestartablePostgres
from test.serving import ServeInstance
from test.sql import sql

# Real servers, restarts and timeouts: seconds each (make test-fast leaves them out).
pytestmark = [pytest.mark.anyio, pytest.mark.slow]

API = "/api/v1"
STATEMENT_TIMEOUT_MS = 3000
BOUND = STATEMENT_TIMEOUT_MS / 1000 + 2  # the most any request may wait on the database
TIGHT = {"DB_POOL_MAX_SIZE": "2", "DB_LEASE_TIMEOUT_SECONDS": "1", "DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS)}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"


def timed(client: httpx.Client, method: str, path: str, **kwargs) -> tuple[httpx.Response | None, float]:
    started = time.monotonic()
    try:
        response = client.request(method, path, headers={"Connection": "close"}, **kwargs)
    except httpx.TimeoutException:
        response = None
    return response, time.monotonic() - started


@pytest.mark.parametrize("workers", [1, 2])
def test_every_request_to_serve_gets_a_prompt_503_while_the_database_is_stopped(workers):
    """The issue-23 reproduction: create, read, stop PostgreSQL, read again. A connection the server
    closed used to leave the listener's socket registered with the event loop, and the next client
    connection given that descriptor's number was never read (no answer after 45 s)."""
    postgres = RestartablePostgres()
    instance = ServeInstance(postgres.url, workers=workers, **TIGHT)
    try:
        instance.wait_ready()
        with httpx.Client(base_url=instance.url, timeout=BOUND + 5) as client:
            app = client.post(f"{API}/applications", json={"name": "away"}).json()
            config = client.post(f"{API}/configurations", json={"application_id": app["id"], "name": "c"}).json()
            reads = [
                ("GET", f"{API}/applications/{app['id']}"),
                ("GET", f"{API}/configurations/{config['id']}"),
                ("GET", f"{API}/configurations/by-name", {"params": {"application": "away", "name": "c"}}),
                ("GET", f"{API}/applications/{app['id']}/configurations"),
                ("GET", f"{API}/applications"),
            ]
            for method, path, *kwargs in reads:
                assert client.request(method, path, **(kwargs[0] if kwargs else {})).status_code == 200
            postgres.stop()
            requests = reads * 3 + [
                ("PUT", f"{API}/configurations/{config['id']}", {"json": {"name": "c", "config": {}}}),
                ("POST", f"{API}/applications", {"json": {"name": "during"}}),
                ("GET", "/readyz"),
            ]
            for method, path, *kwargs in requests:
                response, elapsed = timed(client, method, path, **(kwargs[0] if kwargs else {}))
                assert response is not None, f"{method} {path}: no answer within {BOUND + 5} s"
                assert_unavailable(response)
                assert elapsed < BOUND, (method, path, elapsed)
            postgres.start()
            deadline = time.monotonic() + 20
            while client.get(f"{API}/configurations/{config['id']}").status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover"
                time.sleep(0.2)
    finally:
        instance.stop()
        postgres.close()


def test_writers_get_an_answer_in_time_while_every_backend_is_killed_again_and_again(database_url):
    """Eight clients POST while every backend of the service (the listener's and the loop read
    connection's included) is terminated five times: each POST is answered, 201 or 503, in time,
    and every 201 is stored."""
    instance = ServeInstance(database_url, **TIGHT)
    try:
        instance.wait_ready()
        with httpx.Client(base_url=instance.url) as client:
            app = client.post(f"{API}/applications", json={"name": "killed"}).json()
        answers: list[tuple[int | None, float, str | None]] = []
        stop = threading.Event()

        def post(n: int) -> None:
            with httpx.Client(base_url=instance.url, timeout=BOUND + 5) as client:
                i = 0
                while not stop.is_set():
                    i += 1
                    body = {"application_id": app["id"], "name": f"w{n}-{i}"}
                    response, elapsed = timed(client, "POST", f"{API}/configurations", json=body)
                    status = None if response is None else response.status_code
                    answers.append((status, elapsed, response.json()["id"] if status == 201 else None))

        clients = [threading.Thread(target=post, args=(n,)) for n in range(8)]
        for thread in clients:
            thread.start()
        try:
            for _ in range(5):
                time.sleep(0.8)
                sql(
                    database_url,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name LIKE 'configsvc%%'",
                )
            time.sleep(1)
        finally:
            stop.set()
            for thread in clients:
                thread.join()
    finally:
        instance.stop()
    assert {status for status, _, _ in answers} <= {201, 503}, {status for status, _, _ in answers}
    assert max(elapsed for _, elapsed, _ in answers) < BOUND
    created = {id for status, _, id in answers if status == 201}
    assert len(created) > 20
    stored = {
        id for (id,) in sql(database_url, "SELECT id FROM configurations WHERE application_id = %s", (app["id"],))
    }
    assert created <= stored


@contextmanager
def frozen(database_url: str) -> Iterator[None]:
    """Every backend of the test's database stops (SIGSTOP) as if the server, or the network to it,
    went silent: nothing is refused, nothing answers."""
    pids = [
        pid
        for (pid,) in sql(
            database_url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
    ]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


async def answered_in_time(request) -> httpx.Response:
    started = time.monotonic()
    response = await asyncio.wait_for(request, timeout=3 * BOUND)
    assert time.monotonic() - started < BOUND + 0.5, time.monotonic() - started
    return response


@pytest.fixture
async def tight_app(database_url):
    app = create_app(
        settings_for(
            database_url, db_pool_max_size=2, db_lease_timeout_seconds=1, db_statement_timeout_ms=STATEMENT_TIMEOUT_MS
        )
    )
    async with app_client(app) as client:
        created = (await client.post(f"{API}/applications", json={"name": "frozen"})).json()
        config = (
            await client.post(f"{API}/configurations", json={"application_id": created["id"], "name": "c"})
        ).json()
        yield app, client, f"{API}/configurations/{config['id']}"


async def test_a_cached_read_whose_sync_round_trip_gets_no_answer_is_a_503_in_time(tight_app):
    """The sync round trip waits, then the read would go to the database and wait again: together
    twice the bound, before one deadline covered both."""
    app, client, path = tight_app
    assert (await client.get(path)).status_code == 200
    assert app.state.services.reader.peek(kinds.CONFIGURATION, path.rsplit("/", 1)[1]) is not None  # cached
    with frozen(app.state.services.settings.database_url):
        assert_unavailable(await answered_in_time(client.get(path)))


async def test_an_uncached_read_on_the_loop_connection_is_a_503_in_time(tight_app):
    app, client, path = tight_app
    app.state.services.reader.cache.clear()
    lendings = app.state.services.reader.loop_reads.lendings
    with frozen(app.state.services.settings.database_url):
        assert_unavailable(await answered_in_time(client.get(path)))
    assert app.state.services.reader.loop_reads.lendings == lendings + 1


async def test_an_uncached_read_on_a_pooled_connection_is_a_503_in_time(tight_app):
    app, client, path = tight_app
    app.state.services.reader.cache.clear()
    loop_reads = app.state.services.reader.loop_reads
    lent = loop_reads.claim()  # busy: the batch takes a pooled connection
    try:
        with frozen(app.state.services.settings.database_url):
            assert_unavailable(await answered_in_time(client.get(path)))
    finally:
        loop_reads.give_back(lent)


async def test_a_write_is_a_503_in_time(tight_app):
    app, client, path = tight_app
    with frozen(app.state.services.settings.database_url):
        response = await answered_in_time(client.put(path, json={"name": "c", "config": {"v": 2}}))
    assert_unavailable(response)


async def test_a_held_request_is_answered_by_its_deadline_while_the_database_is_silent(tight_app):
    """Held for 2 s while nothing can be read: each re-read ends within the bound, and the request
    answers (a 503 that asks to retry) within its wait plus one bound."""
    app, client, path = tight_app
    current = await client.get(path)
    with frozen(app.state.services.settings.database_url):
        app.state.services.reader.listener.lose("test: as if the connection were cut")  # held requests re-read
        started = time.monotonic()
        response = await asyncio.wait_for(
            client.get(path, headers={"If-None-Match": current.headers["etag"], "Prefer": "wait=2"}), 3 * BOUND
        )
        elapsed = time.monotonic() - started
    assert response.status_code in (304, 503), response.text
    assert elapsed < 2 + BOUND + 0.5
