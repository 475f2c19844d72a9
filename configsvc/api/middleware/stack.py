"""The request pipeline, installed in one place and listed outermost first."""

from fastapi import FastAPI

from configsvc.api.middleware.body_guard import BodyGuardMiddleware
from configsvc.api.middleware.disconnect import CancelOnDisconnectMiddleware
from configsvc.api.middleware.fast_reads import FastReadsMiddleware
from configsvc.api.middleware.head_as_get import HeadAsGetMiddleware
from configsvc.api.middleware.observing import access_logger, metrics_observer, route_templates
from configsvc.api.middleware.request_context import RequestContextMiddleware
from configsvc.metrics import Metrics
from configsvc.settings import Settings


def install(app: FastAPI, settings: Settings, metrics: Metrics | None, *, access_log: bool) -> None:
    template = route_templates(app)
    finished = [metrics_observer(metrics, app, template)] if metrics is not None else []
    if access_log:
        finished.append(access_logger(template))
    outermost_first = [
        # Every response, the guards' and the last-resort 500 included, carries a request id.
        (RequestContextMiddleware, {"finished": finished}),
        (CancelOnDisconnectMiddleware, {}),
        (BodyGuardMiddleware, {"max_body_bytes": settings.max_body_bytes}),
        (HeadAsGetMiddleware, {}),
        # The hottest reads, answered here, before FastAPI's routing.
        (FastReadsMiddleware, {}),
    ]
    for middleware, options in reversed(outermost_first):  # Starlette wraps the last added outermost
        app.add_middleware(middleware, **options)  # type: ignore[arg-type]
