"""ASGI middleware: request ids and the last-resort 500, and guards on request bodies."""

import logging
import time
from collections.abc import Callable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from configsvc import logs, request_ids
from configsvc.api.problems import problem_response

log = logging.getLogger("configsvc.requests")

BODY_METHODS = {"POST", "PUT", "PATCH"}


# Called when a request's response is complete: (scope, method as received, status, seconds).
Finished = Callable[[Scope, str, int, float], None]


class RequestContextMiddleware:
    """Give each request an id (X-Request-ID, the problem's `instance`, and every log line written
    while serving it): the client's own when well-formed, so a gateway's or a client's id follows
    the request through; turn any unexpected exception into a 500 problem logged with that id, never a
    traceback; tell `finished` each request's status and duration (metrics, the access log)."""

    def __init__(self, app: ASGIApp, *, finished: Sequence[Finished] = ()) -> None:
        self.app = app
        self.finished = tuple(finished)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        request_id = request_ids.from_client(scope["headers"]) or request_ids.new()
        scope.setdefault("state", {})["request_id"] = request_id
        token = logs.request_id.set(request_id)
        status: int | None = None  # set when the response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(request_ids.HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error request_id=%s %s %s", request_id, method, scope["path"])
            if status is not None:
                raise
            response = problem_response(scope, 500, "an unexpected error occurred; it has been logged", slug="internal")
            await response(scope, receive, send_with_id)
        finally:
            if self.finished:
                seconds = time.perf_counter() - started
                for finished in self.finished:
                    # No response at all (the client left first): counted as a 499, nginx's word for it.
                    finished(scope, method, 499 if status is None else status, seconds)
            logs.request_id.reset(token)


class BodyGuardMiddleware:
    """Refuse bodies that are not JSON (415) or too large (413) before anything reads them.

    A body without Content-Length (chunked) is counted as it streams in, so memory stays
    bounded by the limit whatever the client sends.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        has_body = "transfer-encoding" in headers or (length is not None and length.strip() != "0")
        if has_body and not is_json(headers.get("content-type")):
            await problem_response(scope, 415, "the request body must be application/json")(scope, receive, send)
            return
        if length is not None:
            if not length.strip().isdigit():
                await problem_response(scope, 400, "invalid Content-Length header")(scope, receive, send)
                return
            if int(length) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413, self._too_large_detail)
            return message

        return counting_receive

    @property
    def _too_large_detail(self) -> str:
        return f"the request body exceeds {self.max_body_bytes} bytes"

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(scope, 413, self._too_large_detail)(scope, receive, send)


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        return False
    charset = parameters.strip().lower()
    return charset in {"", "charset=utf-8", 'charset="utf-8"'}
