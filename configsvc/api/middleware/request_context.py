"""Each request's context: its id (X-Request-ID), the last-resort 500, and what finished requests
tell the metrics and the access log."""

import logging
import time
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from configsvc import logs, request_ids
from configsvc.api.http.problems import problem_response

log = logging.getLogger("configsvc.requests")
_HEADER = request_ids.HEADER.lower().encode()

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
                # A new list, as MutableHeaders(scope=message) makes: a response's own is left as it is.
                message["headers"] = [*message.get("headers", ()), (_HEADER, request_id.encode("latin-1"))]
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
