import httpx
import pytest
from starlette.exceptions import HTTPException

from configsvc.api.middleware.body_guard import BodyGuardMiddleware, is_json

pytestmark = pytest.mark.anyio


async def echo(scope, receive, send):
    """Reads the whole body, then answers 200 with its length."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def client(max_body_bytes: int = 10) -> httpx.AsyncClient:
    app = BodyGuardMiddleware(echo, max_body_bytes=max_body_bytes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def test_json_is_application_json_in_utf_8_only():
    assert is_json("application/json")
    assert is_json("Application/JSON; charset=UTF-8")
    assert not is_json("application/json; charset=latin-1")
    assert not is_json("text/plain")
    assert not is_json(None)


async def test_bodies_that_are_not_json_or_too_large_are_refused_before_anything_reads_them():
    async with client() as http:
        ok = await http.post("/", content=b"{}", headers={"content-type": "application/json"})
        not_json = await http.post("/", content=b"{}", headers={"content-type": "text/plain"})
        too_large = await http.put("/", content=b"[" + b"1," * 10 + b"1]", headers={"content-type": "application/json"})
        bad_length = await http.post(
            "/", content=b"{}", headers={"content-type": "application/json", "content-length": "x"}
        )
        a_get = await http.get("/")

    assert (ok.status_code, ok.text) == (200, "2")
    assert [r.status_code for r in (not_json, too_large, bad_length, a_get)] == [415, 413, 400, 200]
    assert not_json.headers["content-type"] == "application/problem+json"


async def test_a_chunked_body_is_counted_as_it_streams_in_and_stopped_past_the_limit():
    """Raised from the app's reading of the body (the app's exception handler answers it with 413)."""

    async def chunks():
        for _ in range(5):
            yield b"[1,2,3]"

    async with client() as http:
        with pytest.raises(HTTPException) as stopped:
            await http.post("/", content=chunks(), headers={"content-type": "application/json"})

    assert stopped.value.status_code == 413
