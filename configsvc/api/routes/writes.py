"""Which routes are writes, said where each route is declared: what configsvc_writes_total counts
a request to it as (the metrics find it through the endpoint that served the request)."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.routing import Route

ATTRIBUTE = "counted_as_write"


def counted_as[F: Callable[..., Any]](resource: str, operation: str) -> Callable[[F], F]:
    def mark(endpoint: F) -> F:
        setattr(endpoint, ATTRIBUTE, (resource, operation))
        return endpoint

    return mark


def writes_of(app: FastAPI) -> dict[object, tuple[str, str]]:
    """Each write route's endpoint, with its (resource, operation)."""
    return {
        route.endpoint: getattr(route.endpoint, ATTRIBUTE)
        for route in app.routes
        if isinstance(route, Route) and hasattr(route.endpoint, ATTRIBUTE)
    }
