import pytest
from ulid import ULID

from configsvc.api.fast_reads import FastReadsMiddleware
from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio

IGNORED = {"x-request-id", "date"}


async def answers(client, requests):
    out = []
    for path, headers in requests:
        for method in ("GET", "HEAD"):
            response = await client.request(method, path, headers=headers)
            # A problem's instance is the request's own id: the one thing that differs by design.
            body = response.content.replace(response.headers["x-request-id"].encode(), b"<request id>")
            kept = {name: value for name, value in response.headers.items() if name not in IGNORED}
            out.append((method, path, response.status_code, kept, body))
    return out


async def test_the_fast_path_answers_exactly_as_the_declared_routes(database_url, monkeypatch):
    """Everything the two hot reads can answer: found, 304, 404, malformed id, malformed If-None-Match,
    either case; once through the fast path, once with it switched off (so through FastAPI's routes)."""
    async with app_client(create_app(settings_for(database_url))) as client:
        app = (await client.post("/api/v1/applications", json={"name": "fast"})).json()
        config = (
            await client.post(
                "/api/v1/configurations", json={"application_id": app["id"], "name": "c", "config": {"k": [1, "ü"]}}
            )
        ).json()
    requests = []
    for kind, id, etag in (("configurations", config["id"], '"1"'), ("applications", app["id"], '"1.1"')):
        requests += [
            (f"/api/v1/{kind}/{id}", {}),
            (f"/api/v1/{kind}/{id.lower()}", {}),
            (f"/api/v1/{kind}/{id}", {"If-None-Match": etag}),
            (f"/api/v1/{kind}/{id}", {"If-None-Match": '"0", W/' + etag}),
            (f"/api/v1/{kind}/{id}", {"If-None-Match": "not a tag"}),
            (f"/api/v1/{kind}/{ULID()}", {}),
            (f"/api/v1/{kind}/8ZZZZZZZZZZZZZZZZZZZZZZZZZ", {}),
            (f"/api/v1/{kind}/{id}?unused=1", {}),
        ]

    async with app_client(create_app(settings_for(database_url))) as client:
        fast = await answers(client, requests)
    monkeypatch.setattr(
        FastReadsMiddleware, "__call__", lambda self, scope, receive, send: self.app(scope, receive, send)
    )
    async with app_client(create_app(settings_for(database_url))) as client:
        declared = await answers(client, requests)

    assert fast == declared
    assert {status for _, _, status, _, _ in fast} == {200, 304, 404, 422}
