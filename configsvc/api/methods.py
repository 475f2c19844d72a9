"""HTTP methods the way RFC 9110 wants them: HEAD wherever GET is, OPTIONS, and a complete Allow.

FastAPI registers one route per (path, methods), so Starlette's 405 lists only the methods of the
first route whose path matched, and a GET route does not answer HEAD. Here the methods come from
every route of the path instead.
"""

from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The order methods are listed in `Allow`.
ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> str:
    """The `Allow` value for the path in `scope`: every method a route of that path answers."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join(
        sorted(methods, key=lambda method: (ORDER.index(method) if method in ORDER else len(ORDER), method))
    )


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

        await self.app(scope | {"method": "GET"}, receive, send_without_body)
