"""Watching across processes and instances, through real uvicorn: no missed change, no spurious 200,
across a database restart and writes made by SQL; shutdown and disconnects while held."""

import asyncio
import signal
import socket
import time

import httpx
import pytest

from test.postgres import RestartablePostgres
from test.serving import ServeInstance
from test.sql import sql

# Real servers, restarts and timeouts: seconds each (make test-fast leaves them out).
pytestmark = [pytest.mark.anyio, pytest.mark.slow]

API = "/api/v1"


def watch(etag: str, seconds: int = 20) -> dict[str, str]:
    return {"If-None-Match": etag, "Prefer": f"wait={seconds}", "Connection": "close"}


async def create(client, name: str, count: int) -> tuple[dict, list[dict]]:
    application = (await client.post(f"{API}/applications", json={"name": name})).json()
    configs = []
    for n in range(count):
        body = {"application_id": application["id"], "name": f"c{n}", "config": {"v": 0}}
        configs.append((await client.post(f"{API}/configurations", json=body)).json())
    return application, configs


async def test_every_held_request_on_every_instance_sees_every_change_and_only_a_change(two_instances):
    (a, b), url = two_instances
    async with httpx.AsyncClient(base_url=a.url, timeout=60) as ca, httpx.AsyncClient(base_url=b.url, timeout=60) as cb:
        _, configs = await create(ca, "watched-everywhere", 4)
        for round_number in range(1, 4):
            # Forty held requests, spread over both instances' workers, on four configurations.
            held = []
            for n, config in enumerate(configs):
                path = f"{API}/configurations/{config['id']}"
                etag = f'"{round_number}"'
                for client in (ca, cb) * 5:
                    held.append((n, asyncio.ensure_future(client.get(path, headers=watch(etag)))))
            await asyncio.sleep(0.5)
            assert not any(request.done() for _, request in held)  # nothing changed: all still held
            started = time.monotonic()
            for n, config in enumerate(configs):  # through A, through B, and by SQL outside the service
                path = f"{API}/configurations/{config['id']}"
                if n == 3:
                    sql(
                        url,
                        "UPDATE configurations SET version = version + 1, config = %s WHERE id = %s",
                        (f'{{"v": {round_number}}}', config["id"]),
                    )
                else:
                    writer = (ca, cb, ca)[n]
                    assert (
                        await writer.put(path, json={"name": f"c{n}", "config": {"v": round_number}})
                    ).status_code == 200
            responses = [(n, await request) for n, request in held]
            elapsed = time.monotonic() - started
            for n, response in responses:
                assert response.status_code == 200, (n, response.status_code)
                assert response.headers["etag"] == f'"{round_number + 1}"'  # a change, and this one
                assert response.json()["config"] == {"v": round_number}
            assert elapsed < 5


async def test_held_requests_see_a_write_made_while_the_database_was_restarting():
    postgres = RestartablePostgres()
    instances = [
        ServeInstance(postgres.url, DB_LEASE_TIMEOUT_SECONDS="1"),
        ServeInstance(postgres.url, DB_LEASE_TIMEOUT_SECONDS="1"),
    ]
    try:
        for instance in instances:
            instance.wait_ready()
        async with httpx.AsyncClient(base_url=instances[0].url, timeout=60) as setup:
            _, (config,) = await create(setup, "restarted", 1)
        path = f"{API}/configurations/{config['id']}"
        clients = [httpx.AsyncClient(base_url=instance.url, timeout=60) for instance in instances]
        try:
            held = [
                asyncio.ensure_future(client.get(path, headers=watch('"1"', 30)))
                for client in clients
                for _ in range(3)
            ]
            await asyncio.sleep(0.5)
            postgres.stop()
            await asyncio.sleep(1.0)
            postgres.start()
            # Written the moment the database is back, perhaps before the listeners reconnected:
            # their NOTIFY may never reach them; the reset on reconnecting, or the reconcile, must.
            postgres.query(
                'UPDATE configurations SET version = 2, config = \'{"after": "restart"}\' WHERE id = %s',
                (config["id"],),
            )
            responses = await asyncio.gather(*held)
        finally:
            for client in clients:
                await client.aclose()
        assert [(r.status_code, r.headers.get("etag")) for r in responses] == [(200, '"2"')] * 6
    finally:
        for instance in instances:
            instance.stop()
        postgres.close()


async def test_shutdown_answers_held_requests_at_once_and_a_disconnect_frees_its_place(database_url):
    instance = ServeInstance(database_url, workers=1, WATCH_MAX_HELD="1", WATCH_MAX_SECONDS="40")
    instance.wait_ready()
    try:
        async with httpx.AsyncClient(base_url=instance.url, timeout=60) as client:
            _, (config,) = await create(client, "shutdown", 1)
            path = f"{API}/configurations/{config['id']}"

            # A client that leaves while held frees its place at once: the next is held, not refused.
            leaving = socket.create_connection(("127.0.0.1", instance.port))
            leaving.sendall(f'GET {path} HTTP/1.1\r\nHost: x\r\nIf-None-Match: "1"\r\nPrefer: wait=40\r\n\r\n'.encode())
            await asyncio.sleep(0.3)
            refused = await client.get(path, headers=watch('"1"', 40))
            leaving.close()
            await asyncio.sleep(0.4)  # the disconnect is noticed within 100 ms of the request's start
            held = asyncio.ensure_future(client.get(path, headers=watch('"1"', 40)))
            await asyncio.sleep(0.3)
            assert not held.done()

            started = time.monotonic()
            instance.process.send_signal(signal.SIGTERM)
            response = await held
            answered = time.monotonic() - started
        output, _ = instance.process.communicate(timeout=30)
        stopped = time.monotonic() - started
    finally:
        if instance.process.poll() is None:
            instance.stop()

    assert (refused.status_code, refused.headers["retry-after"]) == (503, "1")
    assert (response.status_code, response.headers["etag"]) == (304, '"1"')
    assert answered < 2
    assert stopped < 5, output
