"""Stop working for clients that are gone."""

import asyncio
import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("configsvc.requests")

DISCONNECT: Message = {"type": "http.disconnect"}


class CancelOnDisconnectMiddleware:
    """Cancel a request's handling when its client disconnects before the response is complete.

    Starlette keeps running a handler whose client has gone. Cancelling it makes the Unit of
    Work roll back and the lease cancel the statement in flight (see `Database.lease`), so a
    slow statement stops holding a connection and a row lock for nobody. Once the app has read
    the request body, this middleware is the only reader of `receive`, watching for the end.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        has_body = "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in {"", "0"}
        body_read = asyncio.Event()
        disconnected = asyncio.Event()
        response_complete = False
        empty_body_delivered = False
        if not has_body:
            body_read.set()

        async def app_receive() -> Message:
            nonlocal empty_body_delivered
            if not body_read.is_set():
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    body_read.set()
                if message["type"] == "http.disconnect":
                    disconnected.set()
                return message
            if not has_body and not empty_body_delivered:
                empty_body_delivered = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await disconnected.wait()
            return DISCONNECT

        async def app_send(message: Message) -> None:
            nonlocal response_complete
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                response_complete = True
            await send(message)

        async def watch() -> None:
            await body_read.wait()
            if not has_body:
                await receive()  # the empty http.request that opens a body-less request
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected.set()
            if not response_complete:
                handler.cancel()

        handler = asyncio.ensure_future(self.app(scope, app_receive, app_send))
        watcher = asyncio.ensure_future(watch())
        try:
            await handler
        except asyncio.CancelledError:
            if not (disconnected.is_set() and handler.cancelled()) or _cancelling(asyncio.current_task()):
                raise
            log.info(
                "client disconnected; request cancelled request_id=%s %s %s",
                scope.get("state", {}).get("request_id", ""),
                scope["method"],
                scope["path"],
            )
        finally:
            watcher.cancel()


def _cancelling(task: asyncio.Task | None) -> bool:
    return task is not None and task.cancelling() > 0
