"""Fault injection against the whole service: exhaustion, restarts, killed backends, gone clients."""

import asyncio
import signal
import threading
import time
from contextlib import AsyncExitStack

import httpx
import psycopg2
import pytest

from configsvc.db.session import Session
from configsvc.main import create_app
from test.client import app_client, settings_for
from test.postgres import RestartablePostgres
from test.serving import free_port, start, stop, wait_for_http

# Real servers, restarts and timeouts: seconds each (make test-fast leaves them out).
pytestmark = [pytest.mark.anyio, pytest.mark.slow]

APPS = "/api/v1/applications"
CONFIGS = "/api/v1/configurations"


async def timed(request) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"


async def test_pool_exhaustion_gives_only_2xx_or_prompt_503s(database_url):
    lease_timeout = 0.5
    app = create_app(
        settings_for(database_url, db_pool_max_size=2, db_pool_min_size=0, db_lease_timeout_seconds=lease_timeout)
    )
    async with app_client(app) as client:
        database = app.state.services.database

        # Every connection held elsewhere (the reads' loop connection too): all 100 wait out the
        # lease timeout, then 503.
        loop_reads = app.state.services.reader.loop_reads
        async with AsyncExitStack() as held:
            for _ in range(2):
                await held.enter_async_context(Session(database))
            lent = loop_reads.claim()
            assert lent is not None
            held.callback(loop_reads.give_back, lent)
            results = await asyncio.gather(*(timed(client.get(APPS)) for _ in range(100)))
        for response, elapsed in results:
            assert_unavailable(response)
            assert elapsed < lease_timeout + 1.0

        # Free again: 100 concurrent reads and writes through 2 connections.
        requests = [client.post(APPS, json={"name": f"app{i}"}) if i % 2 else client.get(APPS) for i in range(100)]
        results = await asyncio.gather(*(timed(request) for request in requests))
        statuses = {response.status_code for response, _ in results}
        assert statuses <= {200, 201, 503}
        assert max(elapsed for _, elapsed in results) < lease_timeout + 1.0 + 2.0
        created = sum(response.status_code == 201 for response, _ in results)
        listing = await client.get(APPS, params={"limit": 1000})
        assert len(listing.json()) == created


async def test_database_restart_fails_fast_then_recovers_without_losing_acknowledged_writes():
    postgres = RestartablePostgres()
    try:
        app = create_app(
            settings_for(
                postgres.url,
                db_pool_min_size=2,
                db_pool_max_size=4,
                db_lease_timeout_seconds=1.0,
                db_statement_timeout_ms=2000,
            )
        )
        async with app_client(app) as client:
            app_id = (await client.post(APPS, json={"name": "billing"})).json()["id"]
            acknowledged = {}
            for i in range(5):
                response = await client.post(CONFIGS, json={"application_id": app_id, "name": f"before{i}"})
                assert response.status_code == 201
                acknowledged[response.json()["id"]] = f"before{i}"

            postgres.stop()
            outage = [
                client.get(f"{APPS}/{app_id}") if i % 2 else client.post(APPS, json={"name": "during"})
                for i in range(10)
            ]
            for response, elapsed in await asyncio.gather(*(timed(request) for request in outage)):
                assert_unavailable(response)
                assert elapsed < 3.0
            assert (await client.get("/healthz")).status_code == 200
            assert_unavailable(await client.get("/readyz"))

            postgres.start()
            deadline = time.monotonic() + 15
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover"
                await asyncio.sleep(0.2)
            for i in range(5):
                response = await client.post(CONFIGS, json={"application_id": app_id, "name": f"after{i}"})
                assert response.status_code == 201, response.text
                acknowledged[response.json()["id"]] = f"after{i}"

            for config_id, name in acknowledged.items():
                response = await client.get(f"{CONFIGS}/{config_id}")
                assert response.status_code == 200
                assert response.json()["name"] == name
            assert (await client.post(APPS, json={"name": "during"})).status_code == 201
    finally:
        postgres.close()


def find_backend_waiting_on_a_lock(database_url: str, seconds: float = 5) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn = psycopg2.connect(database_url)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'configsvc' AND wait_event_type = 'Lock'"
                )
                rows = cursor.fetchall()
        finally:
            conn.close()
        if rows:
            return rows[0][0]
        time.sleep(0.05)
    raise AssertionError("no configsvc backend is waiting on a lock")


def wait_until_no_backend_waits_on_a_lock(database_url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            find_backend_waiting_on_a_lock(database_url, seconds=0.1)
        except AssertionError:
            return True
        time.sleep(0.1)
    return False


class RowLock:
    """Hold a configuration's row lock from another session, so a PUT of it waits."""

    def __init__(self, database_url: str, config_id: str) -> None:
        self.conn = psycopg2.connect(database_url)
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM configurations WHERE id = %s FOR UPDATE", (config_id,))

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


async def test_backend_killed_mid_transaction_is_a_problem_and_commits_nothing(database_url):
    app = create_app(settings_for(database_url, db_pool_min_size=0, db_pool_max_size=2))
    async with app_client(app) as client:
        app_id = (await client.post(APPS, json={"name": "billing"})).json()["id"]
        config = (await client.post(CONFIGS, json={"application_id": app_id, "name": "p", "config": {"v": 1}})).json()
        lock = RowLock(database_url, config["id"])
        try:
            put = asyncio.create_task(
                client.put(f"{CONFIGS}/{config['id']}", json={"name": "changed", "config": {"v": 2}})
            )
            pid = await asyncio.to_thread(find_backend_waiting_on_a_lock, database_url)
            await asyncio.to_thread(
                lambda: psycopg2.connect(database_url).cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
            )
            response = await put
        finally:
            lock.release()

        assert_unavailable(response)
        assert (await client.get(f"{CONFIGS}/{config['id']}")).json()["config"] == {"v": 1}
        # The pool is whole again: both connections can be leased at once, at once.
        async with asyncio.timeout(1), Session(app.state.services.database), Session(app.state.services.database):
            pass


def test_client_giving_up_cancels_the_statement_and_rolls_back(database_url):
    port = free_port()
    server = start(
        "scripts.run",
        {
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "DB_POOL_MIN_SIZE": "1",
            "DB_POOL_MAX_SIZE": "1",
            "DB_STATEMENT_TIMEOUT_MS": "30000",
        },
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz", server)
        with httpx.Client(base_url=base, timeout=10) as client:
            app_id = client.post(APPS, json={"name": "billing"}).json()["id"]
            config_id = client.post(CONFIGS, json={"application_id": app_id, "name": "p", "config": {"v": 1}}).json()[
                "id"
            ]
        lock = RowLock(database_url, config_id)
        try:
            with httpx.Client(base_url=base, timeout=1.0) as impatient, pytest.raises(httpx.ReadTimeout):
                impatient.put(f"{CONFIGS}/{config_id}", json={"name": "p", "config": {"v": 2}})
            # The UPDATE stops waiting on the lock: it was cancelled, not left to run for nobody.
            assert wait_until_no_backend_waits_on_a_lock(database_url, seconds=5)
        finally:
            lock.release()
        with httpx.Client(base_url=base, timeout=5) as client:
            # One pooled connection only: it must be back, idle, and the update rolled back.
            assert client.get(f"{CONFIGS}/{config_id}").json()["config"] == {"v": 1}
    finally:
        output = stop(server, signal.SIGINT)
    assert "client disconnected; request cancelled" in output


def test_graceful_shutdown_finishes_requests_in_flight_then_stops_the_database(tmp_path):
    port = free_port()
    server = start("scripts.run", {"DATABASE_URL": "", "DATA_DIR": str(tmp_path), "PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", server)
        database_url = f"postgresql://postgres:@/postgres?host={tmp_path.resolve() / 'postgres16'}"
        with httpx.Client(base_url=base, timeout=10) as client:
            app_id = client.post(APPS, json={"name": "billing"}).json()["id"]
            config_id = client.post(CONFIGS, json={"application_id": app_id, "name": "p"}).json()["id"]
        lock = RowLock(database_url, config_id)
        outcome: dict[str, object] = {}

        def put_in_flight() -> None:
            with httpx.Client(base_url=base, timeout=20) as client:
                outcome["response"] = client.put(f"{CONFIGS}/{config_id}", json={"name": "p", "config": {"v": 2}})

        in_flight = threading.Thread(target=put_in_flight)
        in_flight.start()
        find_backend_waiting_on_a_lock(database_url)
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.poll() is None, "the server quit with a request in flight"
        lock.release()
        in_flight.join(timeout=15)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            stop(server, signal.SIGKILL)

    assert outcome["response"].status_code == 200
    assert server.returncode in {0, 128 + signal.SIGTERM}, output  # uvicorn re-raises the signal it handled
    assert not (tmp_path / "postgres16" / "postmaster.pid").exists()
