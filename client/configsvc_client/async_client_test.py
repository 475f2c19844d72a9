"""`AsyncClient` against a real serve: the same plans as `Client`, awaited. What is particular to
it: breaking out or closing leaves no task behind, and cache files are read off the event loop."""

import asyncio
import contextlib
import logging

import httpx
import pytest

from configsvc_client import AsyncClient, NotFound, PreconditionFailed
from configsvc_client.cache import LastKnownGood
from configsvc_client.reads_test import refused_url

pytestmark = pytest.mark.anyio


async def test_reads_and_writes_by_names(service, app_name, tmp_path):
    async with AsyncClient(service.url, cache_dir=tmp_path) as client:
        created = await client.put(app_name, "production", {"v": 1}, comments="live")
        replaced = await client.put(app_name, "production", {"v": 2}, if_match=created.etag)
        with pytest.raises(PreconditionFailed):
            await client.put(app_name, "production", {"v": 3}, if_match=created.etag)
        current = await client.get(app_name, "production")
        assert (current.version, current.config, current.comments, current.source) == (2, {"v": 2}, "live", "server")
        assert [r.version for r in await client.history(app_name, "production")] == [2, 1]
        assert (await client.revision(app_name, "production", 1)).config == {"v": 1}
        assert (await client.restore(app_name, "production", 1)).config == {"v": 1}
        assert (await client.application(app_name)).name == app_name
        assert [s.name async for s in client.configurations(app_name)] == ["production"]
        assert app_name in [a.name async for a in client.applications()]
        assert (await client.put_application(app_name, comments="x")).comments == "x"
        assert (await client.create(app_name, "other", {"o": 1})).config == {"o": 1}
        await client.delete(app_name, "production")
        with pytest.raises(NotFound):
            await client.get(app_name, "production")
    assert replaced.version == 2
    assert LastKnownGood(tmp_path).load(app_name, "production") is None


async def test_unreachable_answers_from_the_cache(service, app_name, tmp_path, caplog):
    async with AsyncClient(service.url, cache_dir=tmp_path) as client:
        await client.put(app_name, "production", {"v": 1})
    async with AsyncClient(refused_url(), cache_dir=tmp_path) as client:
        with caplog.at_level(logging.WARNING, logger="configsvc_client"):
            snapshot = await client.get(app_name, "production")
    assert (snapshot.version, snapshot.source, snapshot.stale) == (1, "cache", True)
    assert "using the cached version 1 (stale)" in caplog.text


async def test_watch_yields_the_current_version_then_each_change_once(service, app_name):
    async with AsyncClient(service.url) as client, AsyncClient(service.url) as writer:
        await writer.put(app_name, "production", {"v": 1})
        seen = []
        async for snapshot in client.watch(app_name, "production"):
            seen.append((snapshot.version, snapshot.config))
            if snapshot.version == 4:
                break
            await writer.put(app_name, "production", {"v": snapshot.version + 1})
    assert seen == [(1, {"v": 1}), (2, {"v": 2}), (3, {"v": 3}), (4, {"v": 4})]


async def test_breaking_out_leaves_no_task_and_no_request(service, app_name):
    before = asyncio.all_tasks()  # the test's own, and the runner's
    async with AsyncClient(service.url) as client:
        await client.put(app_name, "production", {"v": 1})
        watch = client.watch(app_name, "production")
        async for _ in watch:
            break
        await watch.aclose()
        assert asyncio.all_tasks() == before


async def test_closing_the_client_ends_a_watch_held_by_the_service_at_once(service, app_name):
    before = asyncio.all_tasks()
    client = AsyncClient(service.url, wait=30)
    await client.put(app_name, "production", {"v": 1})
    seen = []

    async def follow() -> None:
        async for snapshot in client.watch(app_name, "production"):
            seen.append(snapshot.version)

    following = asyncio.ensure_future(follow())
    await asyncio.sleep(0.5)  # the first version came, and the next request is held
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.aclose()
    await asyncio.wait_for(following, 2)
    assert loop.time() - started < 2
    assert seen == [1]
    assert asyncio.all_tasks() == before
    with pytest.raises(RuntimeError, match="closed"):
        await client.get(app_name, "production")


async def test_a_watch_rides_out_failures(caplog):
    body = {
        "id": "01J0000000000000000000000C",
        "application_id": "01J0000000000000000000000A",
        "name": "production",
        "comments": None,
        "config": {"v": 1},
        "version": 1,
        "created_at": "t",
        "updated_at": "t",
    }
    answers = [
        httpx.ConnectError("refused"),
        httpx.Response(503, json={"detail": "database down"}),
        httpx.Response(200, json=body, headers={"ETag": '"1"'}),
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        outcome = answers.pop(0) if answers else httpx.Response(304, headers={"ETag": '"1"'})
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async with AsyncClient("http://svc", transport=httpx.MockTransport(answer)) as client:
        with caplog.at_level(logging.WARNING, logger="configsvc_client"):
            watch = client.watch("payments", "production")
            first = await asyncio.wait_for(anext(watch), 10)
            with contextlib.suppress(Exception):
                await watch.aclose()
    assert first.version == 1
    assert caplog.text.count("trying again in") == 2
