import json
import logging

import pytest

from configsvc.logs import JsonFormatter
from test.client import app_client
from test.fakes import app_without_database

pytestmark = pytest.mark.anyio


async def test_the_access_log_has_a_line_per_request_with_its_route_status_and_duration(caplog):
    app = app_without_database()
    from configsvc.api.middleware.observing import access_logger, route_templates
    from configsvc.api.middleware.request_context import RequestContextMiddleware

    template = route_templates(app)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not RequestContextMiddleware]
    app.add_middleware(RequestContextMiddleware, finished=[access_logger(template)])
    with caplog.at_level(logging.INFO, logger="configsvc.access"):
        async with app_client(app) as client:
            response = await client.get("/healthz?probe=1")

    (record,) = [r for r in caplog.records if r.name == "configsvc.access"]
    assert (record.method, record.route, record.status) == ("GET", "/healthz", 200)
    assert record.duration_ms >= 0
    assert '"GET /healthz?probe=1 HTTP/1.1" 200' in record.getMessage()
    line = json.loads(JsonFormatter().format(record))
    assert {"method", "route", "status", "duration_ms"} <= line.keys()
    assert response.status_code == 200
