import httpx
import pytest

from configsvc.api.middleware.head_as_get import HeadAsGetMiddleware

pytestmark = pytest.mark.anyio


async def app(scope, receive, send):
    scope["endpoint"] = f"answered as {scope['method']}"
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"1"'), (b"content-length", b"5")]}
    )
    await send({"type": "http.response.body", "body": b"hel", "more_body": True})
    await send({"type": "http.response.body", "body": b"lo"})


async def test_head_is_answered_as_get_with_its_headers_and_no_body():
    scopes = []

    async def recording(scope, receive, send):
        scopes.append(scope)
        await HeadAsGetMiddleware(app)(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=recording), base_url="http://test") as http:
        get, head = await http.get("/"), await http.head("/")

    assert (get.status_code, get.content) == (200, b"hello")
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", '"1"')
    assert head.headers["content-length"] == "5"  # GET's, as RFC 9110 allows
    assert scopes[1]["method"] == "HEAD"
    assert scopes[1]["endpoint"] == "answered as GET"  # the route that answered, for metrics and logs
