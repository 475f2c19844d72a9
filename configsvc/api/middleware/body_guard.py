"""Guards on request bodies: not JSON is a 415, too large a 413, before anything reads them."""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from configsvc.api.http.problems import problem_response

BODY_METHODS = {"POST", "PUT", "PATCH"}


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
