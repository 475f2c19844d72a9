import asyncio

import pytest

from scripts.benchmark.watching import Watchers, measure_delays

pytestmark = pytest.mark.anyio


@pytest.mark.slow
async def test_watchers_follow_their_configuration_and_the_delays_are_measured(database_url):
    import uvicorn

    from configsvc.main import create_app
    from scripts.ports import free_port
    from test.client import settings_for

    app = create_app(settings_for(database_url, watch_max_seconds=60))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.ensure_future(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            application = (await client.post("/api/v1/applications", json={"name": "w"})).json()
            configs = [
                (
                    await client.post(
                        "/api/v1/configurations", json={"application_id": application["id"], "name": f"c{n}"}
                    )
                ).json()
                for n in range(2)
            ]
        paths = [f"/api/v1/configurations/{c['id']}" for c in configs]
        watchers = Watchers("127.0.0.1", port, paths, 4)
        await watchers.start()
        assert await watchers.wait_held(10)
        bodies = {path: f'{{"name":"c{n}","config":{{}}}}'.encode() for n, path in enumerate(paths)}

        delays = await measure_delays("127.0.0.1", port, watchers, paths, bodies, writes=4, gap=0.05)
        await watchers.stop()
    finally:
        server.should_exit = True
        await serving

    assert (delays.writes, delays.answered, delays.expected, delays.errors) == (4, 8, 8, 0)
    # A held response may be read before the writer has read its own 2xx (both are on this loop, and
    # the service may send the held one first): a delay of a few milliseconds below zero is real.
    assert -50 < delays.median_ms < 500
