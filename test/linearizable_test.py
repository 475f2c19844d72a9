"""Reads are linearizable across processes and instances (SPEC §3), the cache notwithstanding.

Two `serve` instances of two workers each share one database. Each worker keeps its own cache;
a read served from it must still reflect every write acknowledged before the read was sent.
"""

import asyncio
import os
import signal
import time

import httpx
import pytest

from scripts.benchmark.processes import worker_pids
from test.serving import ServeInstance
from test.sql import sql

pytestmark = pytest.mark.anyio

API = "/api/v1"


def fresh_connection():
    # A new connection per request, so the kernel hands requests to every worker in turn.
    return {"Connection": "close"}


async def test_a_read_through_another_instance_reflects_the_write_just_acknowledged(two_instances):
    (a, b), _ = two_instances
    async with httpx.AsyncClient(base_url=a.url) as writer, httpx.AsyncClient(base_url=b.url) as other:
        app = (await writer.post(f"{API}/applications", json={"name": "lin"})).json()
        config = (await writer.post(f"{API}/configurations", json={"application_id": app["id"], "name": "c0"})).json()
        url = f"{API}/configurations/{config['id']}"
        for n in range(1, 151):
            # Warm both instances' caches with the current version, then write, then read at once.
            await asyncio.gather(
                *(client.get(url, headers=fresh_connection()) for client in (writer, other) for _ in range(2))
            )
            through = writer if n % 2 else other
            written = await through.put(url, json={"name": f"c{n}", "config": {"n": n}})
            assert written.status_code == 200, written.text
            reader = other if n % 2 else writer
            read, by_name, application = await asyncio.gather(
                reader.get(url, headers=fresh_connection()),
                reader.get(
                    f"{API}/configurations/by-name",
                    params={"application": "lin", "name": f"c{n}"},
                    headers=fresh_connection(),
                ),
                reader.get(f"{API}/applications/{app['id']}", headers=fresh_connection()),
            )
            assert (read.status_code, read.json()["version"], read.json()["config"]) == (200, n + 1, {"n": n}), n
            assert read.content == written.content  # the same bytes, whichever route and instance
            assert by_name.headers["etag"] == written.headers["etag"]
            assert application.json()["seq"] == n + 1


async def test_concurrent_readers_never_see_a_version_older_than_one_acknowledged_before_they_asked(two_instances):
    (a, b), _ = two_instances
    async with httpx.AsyncClient(base_url=a.url) as setup:
        app = (await setup.post(f"{API}/applications", json={"name": "lin-concurrent"})).json()
        config = (await setup.post(f"{API}/configurations", json={"application_id": app["id"], "name": "c"})).json()
    url = f"{API}/configurations/{config['id']}"
    acknowledged: list[tuple[float, int]] = []  # (when the 2xx arrived, the version it made)
    reads: list[tuple[float, int]] = []  # (when the read was sent, the version it saw)
    deadline = time.monotonic() + 4

    async def write(client):
        while time.monotonic() < deadline:
            response = await client.put(url, json={"name": "c", "config": {}})
            acknowledged.append((time.monotonic(), response.json()["version"]))

    async def read(client):
        while time.monotonic() < deadline:
            sent = time.monotonic()
            response = await client.get(url, headers=fresh_connection())
            reads.append((sent, response.json()["version"]))

    clients = [httpx.AsyncClient(base_url=instance.url) for instance in (a, b, a, b, a, b)]
    try:
        await asyncio.gather(write(clients[0]), write(clients[1]), *(read(client) for client in clients[2:]))
    finally:
        for client in clients:
            await client.aclose()

    acknowledged.sort()
    stale = []
    for sent, version in reads:
        newest_before = max((v for at, v in acknowledged if at < sent), default=1)
        if version < newest_before:
            stale.append((sent, version, newest_before))
    assert len(reads) > 200
    assert len(acknowledged) > 50
    assert stale == []


def listener_backends(database_url: str, instance: ServeInstance, workers: int = 2) -> list[int]:
    """The backends of the instance's listeners, once each of its workers has one."""
    deadline = time.monotonic() + 10
    while True:
        names = [f"configsvc-listener-{pid}" for pid in worker_pids(instance.process.pid)]
        rows = sql(database_url, "SELECT pid FROM pg_stat_activity WHERE application_name = ANY(%s)", (names,))
        if len(rows) == workers or time.monotonic() > deadline:
            return [pid for (pid,) in rows]
        time.sleep(0.05)


async def test_a_cached_value_is_not_served_until_the_database_proves_it_current(two_instances):
    """The notification of a write cannot reach instance B (its listening backends are stopped), so
    B's cache still holds the old version when a read arrives after the write's 2xx. B must not answer
    from it: its sync round trip waits for those backends, which deliver the notification first."""
    (a, b), url = two_instances
    async with httpx.AsyncClient(base_url=a.url) as writer, httpx.AsyncClient(base_url=b.url, timeout=30) as reader:
        app = (await writer.post(f"{API}/applications", json={"name": "frozen"})).json()
        config = (await writer.post(f"{API}/configurations", json={"application_id": app["id"], "name": "c"})).json()
        path = f"{API}/configurations/{config['id']}"
        backends = listener_backends(url, b)
        assert len(backends) == 2
        held = 0
        for attempt in range(5):
            for _ in range(20):  # both of B's workers (most likely) cache the current version
                assert (await reader.get(path, headers=fresh_connection())).status_code == 200
            for pid in backends:
                os.kill(pid, signal.SIGSTOP)
            try:
                written = await writer.put(path, json={"name": "c", "config": {"attempt": attempt}})
                read = asyncio.ensure_future(reader.get(path, headers=fresh_connection()))
                await asyncio.sleep(0.3)
                held += not read.done()  # a worker with it cached waits for the proof; one without asks the database
            finally:
                for pid in backends:
                    os.kill(pid, signal.SIGCONT)
            response = await read
            assert response.json()["version"] == written.json()["version"], attempt
            assert response.content == written.content
        assert held  # the cached path was taken (and waited) at least once


async def test_a_held_request_never_answers_from_a_cache_that_has_not_heard_the_latest_write(two_instances):
    """While B's listeners are stopped, B's cache still holds version 1 after a write made version 2
    through A. A held request sent to B with version 2's ETag must not get version 1 (only a proven
    read may answer), and one sent with version 1's ETag must get version 2, not a 304."""
    (a, b), url = two_instances
    watch = {"Prefer": "wait=2", "Connection": "close"}
    async with httpx.AsyncClient(base_url=a.url) as writer, httpx.AsyncClient(base_url=b.url, timeout=30) as reader:
        app = (await writer.post(f"{API}/applications", json={"name": "held-frozen"})).json()
        config = (await writer.post(f"{API}/configurations", json={"application_id": app["id"], "name": "c"})).json()
        path = f"{API}/configurations/{config['id']}"
        backends = listener_backends(url, b)
        for attempt in range(4):
            for _ in range(20):  # both of B's workers (most likely) cache the current version
                old = await reader.get(path, headers=fresh_connection())
            for pid in backends:
                os.kill(pid, signal.SIGSTOP)
            try:
                written = await writer.put(path, json={"name": "c", "config": {"attempt": attempt}})
                new_etag = written.headers["etag"]
                on_new = [asyncio.ensure_future(reader.get(path, headers=watch | {"If-None-Match": new_etag}))]
                on_old = [
                    asyncio.ensure_future(reader.get(path, headers=watch | {"If-None-Match": old.headers["etag"]}))
                ]
                on_new += [asyncio.ensure_future(reader.get(path, headers=watch | {"If-None-Match": new_etag}))]
                await asyncio.sleep(0.3)
            finally:
                for pid in backends:
                    os.kill(pid, signal.SIGCONT)
            for response in await asyncio.gather(*on_new):
                assert (response.status_code, response.headers["etag"]) == (304, new_etag), attempt
            for response in await asyncio.gather(*on_old):
                assert response.status_code == 200, attempt
                assert response.content == written.content, attempt
