import asyncio
from contextlib import suppress

import pytest

from configsvc.api.middleware.disconnect import CHECK_AFTER_SECONDS, CancelOnDisconnectMiddleware, _has_body

pytestmark = pytest.mark.anyio


def scope(headers: list[tuple[bytes, bytes]] = ()) -> dict:
    return {"type": "http", "method": "PUT", "path": "/x", "headers": list(headers), "state": {}}


class Client:
    """A fake ASGI server side: delivers the body, then reports a disconnect on demand."""

    def __init__(self, body: bytes = b"") -> None:
        self.messages = asyncio.Queue()
        self.messages.put_nowait({"type": "http.request", "body": body, "more_body": False})
        self.sent: list[dict] = []

    def disconnect(self) -> None:
        self.messages.put_nowait({"type": "http.disconnect"})

    async def receive(self) -> dict:
        return await self.messages.get()

    async def send(self, message: dict) -> None:
        self.sent.append(message)


async def test_handler_is_cancelled_when_the_client_disconnects_mid_request():
    outcome = []

    async def slow_app(scope, receive, send):
        assert (await receive())["body"] == b"{}"
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    client = Client(b"{}")
    middleware = CancelOnDisconnectMiddleware(slow_app)
    task = asyncio.create_task(middleware(scope([(b"content-length", b"2")]), client.receive, client.send))
    await asyncio.sleep(0.05)
    client.disconnect()
    await asyncio.wait_for(task, 1)

    assert outcome == ["cancelled"]


async def test_body_less_requests_are_checked_too():
    cancelled = asyncio.Event()

    async def slow_app(scope, receive, send):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    client = Client()
    task = asyncio.create_task(CancelOnDisconnectMiddleware(slow_app)(scope(), client.receive, client.send))
    await asyncio.sleep(0.05)
    client.disconnect()
    await asyncio.wait_for(task, 1)

    assert cancelled.is_set()


async def test_a_completed_response_is_not_cancelled_by_the_disconnect_that_follows():
    finished = []

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        client.disconnect()
        await asyncio.sleep(0.05)  # work after the response, e.g. a background task
        finished.append(True)

    client = Client()
    await CancelOnDisconnectMiddleware(app)(scope(), client.receive, client.send)

    assert finished == [True]
    assert client.sent[-1]["body"] == b"ok"


async def test_server_shutdown_cancellation_still_propagates():
    async def slow_app(scope, receive, send):
        await asyncio.sleep(30)

    client = Client()
    task = asyncio.create_task(CancelOnDisconnectMiddleware(slow_app)(scope(), client.receive, client.send))
    await asyncio.sleep(0.05)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task


async def test_quick_requests_never_start_a_disconnect_check():
    """Nearly every request ends well before CHECK_AFTER_SECONDS: it must not pay for a check."""
    reads = []

    async def receive() -> dict:
        reads.append(True)
        if len(reads) > 1:
            await asyncio.Event().wait()  # like a server: nothing more until the client leaves
        return {"type": "http.request", "body": b"", "more_body": False}

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []
    tasks_before = len(asyncio.all_tasks())

    async def send(message: dict) -> None:
        sent.append(message)
        assert len(asyncio.all_tasks()) == tasks_before

    await CancelOnDisconnectMiddleware(app)(scope(), receive, send)
    await asyncio.sleep(CHECK_AFTER_SECONDS * 2)

    assert reads == []  # the body-less request's real http.request is left unread, as no one checks
    assert sent[-1]["body"] == b"ok"
    assert len(asyncio.all_tasks()) == tasks_before


async def cancellations_left_after_a_disconnect(app) -> int:
    """Serve one request whose client leaves mid-way; the server task's pending cancellations after."""

    async def serve() -> int:
        with suppress(RuntimeError):
            await CancelOnDisconnectMiddleware(app)(scope(), client.receive, client.send)
        await asyncio.sleep(0)  # a later await in the server's task is not hit by a stale cancel
        return asyncio.current_task().cancelling()

    client = Client()
    task = asyncio.create_task(serve())
    await asyncio.sleep(CHECK_AFTER_SECONDS / 2)
    client.disconnect()
    return await asyncio.wait_for(task, 1)


async def test_a_request_cancelled_for_its_client_leaves_its_task_uncancelled():
    async def slow_app(scope, receive, send):
        await asyncio.sleep(30)

    assert await cancellations_left_after_a_disconnect(slow_app) == 0


async def test_a_cancellation_turned_into_another_error_is_taken_back_too():
    async def app_that_converts(scope, receive, send):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise RuntimeError("cleanup failed") from None

    assert await cancellations_left_after_a_disconnect(app_that_converts) == 0


@pytest.mark.parametrize(
    ("headers", "has_body"),
    [
        ([], False),
        ([(b"content-length", b"0")], False),
        ([(b"content-length", b" 0 ")], False),
        ([(b"content-length", b"")], False),
        ([(b"content-length", b"12")], True),
        ([(b"host", b"x"), (b"transfer-encoding", b"chunked")], True),
        ([(b"content-length", b"0"), (b"transfer-encoding", b"chunked")], True),
        ([(b"content-length", b"0"), (b"content-length", b"5")], False),  # the first, as Headers.get reads it
    ],
)
def test_a_body_is_expected_after_a_transfer_encoding_or_a_content_length_not_zero(headers, has_body):
    assert _has_body(headers) is has_body
