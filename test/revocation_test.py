"""Revocation is linearizable: once DELETE /tokens/{id} has answered 204, no process of any instance
serves a request that arrives afterwards with that token, and requests held with it end in 401."""

import asyncio
import os
import signal
import time

import httpx
import pytest

from test.linearizable_test import fresh_connection, listener_backends
from test.serving import ServeInstance

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

API = "/api/v1"
REPETITIONS = int(os.environ.get("REVOCATION_REPETITIONS", "40"))


@pytest.fixture
def instances(database_url):
    started = [ServeInstance(database_url), ServeInstance(database_url)]
    try:
        for instance in started:
            instance.wait_ready()
        yield started, database_url
    finally:
        for instance in started:
            instance.stop()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} | fresh_connection()


async def made(client: httpx.AsyncClient, admin: str | None, name: str, scopes: list[str]) -> tuple[str, str]:
    headers = bearer(admin) if admin else fresh_connection()
    response = await client.post(f"{API}/tokens", json={"name": name, "scopes": scopes}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]


async def test_a_token_revoked_through_one_instance_is_refused_at_once_by_every_process_of_the_other(instances):
    (a, b), _ = instances
    async with httpx.AsyncClient(base_url=a.url) as through_a, httpx.AsyncClient(base_url=b.url) as through_b:
        _, root = await made(through_a, None, "root", ["admin"])
        app = (await through_a.post(f"{API}/applications", json={"name": "r"}, headers=bearer(root))).json()
        config = (
            await through_a.post(
                f"{API}/configurations", json={"application_id": app["id"], "name": "c"}, headers=bearer(root)
            )
        ).json()
        paths = [f"{API}/configurations/{config['id']}", f"{API}/applications", f"{API}/tokens/current"]
        for n in range(REPETITIONS):
            id, secret = await made(through_a, root, f"t{n}", ["read:*"])
            # Both of B's workers (most likely) have it cached, proven valid.
            for _ in range(4):
                for path in paths:
                    assert (await through_b.get(path, headers=bearer(secret))).status_code == 200
            assert (await through_a.delete(f"{API}/tokens/{id}", headers=bearer(root))).status_code == 204
            answers = await asyncio.gather(*(through_b.get(path, headers=bearer(secret)) for path in paths * 2))
            assert [r.status_code for r in answers] == [401] * len(answers), n


async def test_a_cached_token_is_not_trusted_until_the_database_proves_it_current(instances):
    """B's listeners are stopped: the revocation's notification cannot reach B, whose cache still
    holds the token as valid. A request with it must not be served from that cache."""
    (a, b), url = instances
    async with (
        httpx.AsyncClient(base_url=a.url) as through_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as through_b,
    ):
        _, root = await made(through_a, None, "root", ["admin"])
        id, secret = await made(through_a, root, "cached", ["read:*"])
        for _ in range(10):
            assert (await through_b.get(f"{API}/applications", headers=bearer(secret))).status_code == 200
        backends = listener_backends(url, b)
        for pid in backends:
            os.kill(pid, signal.SIGSTOP)
        try:
            assert (await through_a.delete(f"{API}/tokens/{id}", headers=bearer(root))).status_code == 204
            pending = asyncio.ensure_future(through_b.get(f"{API}/applications", headers=bearer(secret)))
            await asyncio.sleep(0.3)
            answered_early = pending.done() and pending.result().status_code == 200
        finally:
            for pid in backends:
                os.kill(pid, signal.SIGCONT)
        assert not answered_early
        assert (await pending).status_code == 401


async def test_a_request_held_with_a_token_is_answered_401_within_a_second_of_its_revocation(instances):
    (a, b), _ = instances
    async with (
        httpx.AsyncClient(base_url=a.url) as through_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as through_b,
    ):
        _, root = await made(through_a, None, "root", ["admin"])
        app = (await through_a.post(f"{API}/applications", json={"name": "held"}, headers=bearer(root))).json()
        id, secret = await made(through_a, root, "watcher", ["read:*"])
        current = await through_b.get(f"{API}/applications/{app['id']}", headers=bearer(secret))
        held = asyncio.ensure_future(
            through_b.get(
                f"{API}/applications/{app['id']}",
                headers=bearer(secret) | {"If-None-Match": current.headers["etag"], "Prefer": "wait=20"},
            )
        )
        await asyncio.sleep(0.5)
        assert not held.done()
        revoked_at = time.monotonic()
        assert (await through_a.delete(f"{API}/tokens/{id}", headers=bearer(root))).status_code == 204
        response = await asyncio.wait_for(held, 5)
        assert response.status_code == 401
        assert time.monotonic() - revoked_at < 1.0
