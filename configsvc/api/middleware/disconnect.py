"""Stop working for clients that are gone."""

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("configsvc.requests")

DISCONNECT: Message = {"type": "http.disconnect"}
# Requests still running after this long get a disconnect check. Nearly all finish sooner and never
# pay for one (it was two tasks per request: a handler and a checker, each created and scheduled); a
# client that leaves is noticed at most this late.
CHECK_AFTER_SECONDS = 0.1


class CancelOnDisconnectMiddleware:
    """Cancel a request's handling when its client disconnects before the response is complete.

    Starlette keeps running a handler whose client has gone. Cancelling it makes the Unit of
    Work roll back and the lease cancel the statement in flight (see `Database.lease`), so a
    slow statement stops holding a connection and a row lock for nobody. Once the app has read
    the request body, this middleware is the only reader of `receive`, listening for the end.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None
        request = _DisconnectCheck(task, receive, send, _has_body(scope["headers"]))
        timer = asyncio.get_running_loop().call_later(CHECK_AFTER_SECONDS, request.start_checking)
        try:
            await self.app(scope, request.receive, request.send)
        except asyncio.CancelledError:
            if not request.take_back_cancellation() or task.cancelling() > 0:
                raise  # not (only) ours: the server is shutting down
            log.info(
                "client disconnected; request cancelled request_id=%s %s %s",
                scope.get("state", {}).get("request_id", ""),
                scope["method"],
                scope["path"],
            )
        finally:
            timer.cancel()
            if request.checker is not None:
                request.checker.cancel()
            # The app swallowed our cancellation, or turned it into another error: take it back
            # all the same, so nothing later in the server's task is cancelled by it.
            request.take_back_cancellation()


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a body may follow: Transfer-Encoding, or a Content-Length (the first, as Starlette's
    `Headers.get` reads it) that is not zero. One pass over the raw headers (names lower-cased)."""
    content_length = None
    for name, value in headers:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length" and content_length is None:
            content_length = value
    return content_length is not None and content_length.strip() not in (b"", b"0")


class _DisconnectCheck:
    """One request's view of `receive`: the app reads its body, then the checker owns the rest."""

    __slots__ = (
        "_body_read",
        "_body_read_event",
        "_disconnected",
        "_empty_body_delivered",
        "_has_body",
        "_receive",
        "_response_complete",
        "_send",
        "_task",
        "cancelled",
        "checker",
    )

    def __init__(self, task: asyncio.Task, receive: Receive, send: Send, has_body: bool) -> None:
        self._task = task
        self._receive = receive
        self._send = send
        self._has_body = has_body
        self._body_read = not has_body
        self._body_read_event: asyncio.Event | None = None
        self._empty_body_delivered = False
        self._disconnected: asyncio.Event | None = None
        self._response_complete = False
        self.cancelled = False
        self.checker: asyncio.Task | None = None

    async def receive(self) -> Message:
        if not self._body_read:
            message = await self._receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                self._body_read = True
                if self._body_read_event is not None:
                    self._body_read_event.set()
            if message["type"] == "http.disconnect":
                self._disconnected_event().set()
            return message
        if not self._has_body and not self._empty_body_delivered:
            # The real (empty) http.request is left for the checker, which must read it first.
            self._empty_body_delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnected_event().wait()
        return DISCONNECT

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self._response_complete = True
        await self._send(message)

    def take_back_cancellation(self) -> bool:
        """Undo the cancellation this request's checker requested, once; False if there was none."""
        if not self.cancelled:
            return False
        self.cancelled = False
        self._task.uncancel()
        return True

    def start_checking(self) -> None:
        if not self._response_complete:
            self.checker = asyncio.ensure_future(self._check())

    async def _check(self) -> None:
        if not self._body_read:
            self._body_read_event = asyncio.Event()
            await self._body_read_event.wait()
        if not self._has_body:
            await self._receive()  # the empty http.request that opens a body-less request
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._disconnected_event().set()
        if not self._response_complete:
            self.cancelled = True
            self._task.cancel()

    def _disconnected_event(self) -> asyncio.Event:
        if self._disconnected is None:
            self._disconnected = asyncio.Event()
        return self._disconnected
