"""What each finished request tells the metrics and the access log: its route's template (as
declared, `/api/v1/configurations/{configuration_id}`, never the raw path), status and duration."""

import logging
from collections.abc import Callable

from fastapi import FastAPI
from starlette.routing import Route
from starlette.types import Scope

from configsvc.api.middleware.request_context import Finished
from configsvc.api.routes.writes import writes_of
from configsvc.metrics import UNMATCHED, Metrics

access = logging.getLogger("configsvc.access")
METRICS_PATH = "/metrics"


def route_templates(app: FastAPI) -> Callable[[Scope], str]:
    """The template of the route that served a request, from the endpoint the router (or the fast
    path) put in its scope; `unmatched` for a path no route declares."""
    templates: dict[object, str] = {}

    def template(scope: Scope) -> str:
        if not templates:
            templates.update({route.endpoint: route.path for route in app.routes if isinstance(route, Route)})
        return templates.get(scope.get("endpoint"), UNMATCHED)

    return template


def metrics_observer(metrics: Metrics, app: FastAPI, template: Callable[[Scope], str]) -> Finished:
    writes: dict[object, tuple[str, str]] = {}

    def observe(scope: Scope, method: str, status: int, seconds: float) -> None:
        if not writes:
            writes.update(writes_of(app))
        route = template(scope)
        if route != METRICS_PATH:  # scrapes are not counted
            metrics.observe_request(method, route, status, seconds, write=writes.get(scope.get("endpoint")))

    return observe


def access_logger(template: Callable[[Scope], str]) -> Finished:
    """One line per request, at INFO, with its fields (JSON logs carry them as keys)."""

    def log(scope: Scope, method: str, status: int, seconds: float) -> None:
        client = scope.get("client")
        where = f"{client[0]}:{client[1]}" if client else "-"
        path = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
        duration_ms = round(seconds * 1000, 3)
        fields = {"method": method, "route": template(scope), "status": status, "duration_ms": duration_ms}
        access.info(
            '%s - "%s %s HTTP/%s" %d %.1f ms',
            where,
            method,
            path,
            scope.get("http_version", "1.1"),
            status,
            duration_ms,
            extra=fields,
        )

    return log
