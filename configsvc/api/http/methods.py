"""HTTP methods the way RFC 9110 wants them: HEAD wherever GET is, OPTIONS, and a complete Allow.

FastAPI registers one route per (path, methods), so Starlette's 405 lists only the methods of the
first route whose path matched, and a GET route does not answer HEAD. Here the methods come from
every route of the path instead.
"""

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

# The order methods are listed in `Allow`.
ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> str:
    """The `Allow` value for the path in `scope`: every method a route of that path answers. The
    path is the first declared that matches (a literal one such as `/configurations/by-name`, declared
    before `/configurations/{configuration_id}`, is not that template's)."""
    methods: set[str] = set()
    chosen = None
    for route in routes:
        if not isinstance(route, Route) or not route.methods or route.endpoint is refuse_method:
            continue
        if route.matches(scope)[0] != Match.NONE:
            chosen = chosen or route.path
            if route.path == chosen:
                methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join(
        sorted(methods, key=lambda method: (ORDER.index(method) if method in ORDER else len(ORDER), method))
    )


async def refuse_method(request: Request) -> None:
    raise HTTPException(405)


def refuse_other_methods(router: APIRouter, path: str, *, allowed: set[str]) -> None:
    """Answer 405 for every other method of a literal `path` that a later `{parameter}` route would
    otherwise take (PUT /configurations/by-name is not a PUT of a configuration whose id is "by-name")."""
    others = {"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed
    router.add_route(router.prefix + path, refuse_method, methods=sorted(others), include_in_schema=False)
