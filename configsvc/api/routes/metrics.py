"""GET /metrics: Prometheus' text format, summed over every worker (see configsvc.metrics)."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from configsvc.api.deps import services
from configsvc.api.middleware.observing import METRICS_PATH

router = APIRouter(tags=["operating"])


@router.get(METRICS_PATH, include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics (not counted in themselves)."""
    return Response(services(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
