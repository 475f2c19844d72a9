"""HEAD answered as GET without the body, wherever GET is (RFC 9110)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """Answer HEAD as GET without the body: same status and headers (ETag, 304 and Content-Length
    included). The server (uvicorn) also drops a HEAD response's body; this makes any server do."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        as_get = scope | {"method": "GET"}
        try:
            await self.app(as_get, receive, send_without_body)
        finally:
            if "endpoint" in as_get:  # which route answered, for the metrics and the access log
                scope["endpoint"] = as_get["endpoint"]
