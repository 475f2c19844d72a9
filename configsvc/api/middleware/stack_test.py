from configsvc.api.middleware.body_guard import BodyGuardMiddleware
from configsvc.api.middleware.fast_reads import FastReadsMiddleware
from configsvc.api.middleware.request_context import RequestContextMiddleware
from configsvc.main import create_app
from test.client import settings_for


def test_the_stack_runs_outermost_first_as_listed():
    app = create_app(settings_for("postgresql://x@127.0.0.1:1/x"))
    order = [middleware.cls for middleware in app.user_middleware]  # Starlette keeps it outermost first
    assert order[0] is RequestContextMiddleware  # every answer, the guards' too, carries a request id
    assert order.index(BodyGuardMiddleware) < order.index(FastReadsMiddleware)
    assert order[-1] is FastReadsMiddleware
