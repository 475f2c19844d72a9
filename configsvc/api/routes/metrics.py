"""GET /metrics: Prometheus' text format, summed over every worker (see configsvc.metrics)."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from configsvc.api.deps import AuthenticationDep, services
from configsvc.api.middleware.observing import METRICS_PATH
from configsvc.errors import Forbidden

router = APIRouter(tags=["operating"])


@router.get(METRICS_PATH, include_in_schema=False)
async def metrics(request: Request, auth: AuthenticationDep) -> Response:
    """Prometheus metrics (not counted in themselves); the `metrics` scope while tokens are enforced."""
    if not auth.principal.metrics:
        raise Forbidden("this takes the metrics scope")
    return Response(services(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
