"""The application factory: one FastAPI app per Settings, its database opened by the lifespan."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg2
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from configsvc import migrations
from configsvc.api.http.problems import install_problem_handlers
from configsvc.api.middleware import stack
from configsvc.api.openapi.document import openapi
from configsvc.api.routes import applications, audit, configuration_schemas, configurations, health, tokens
from configsvc.api.routes import metrics as metrics_routes
from configsvc.db.listener import Listener
from configsvc.db.loop_reads import LoopReads
from configsvc.db.pool import Database
from configsvc.errors import ServiceUnavailable
from configsvc.logs import configure_logging
from configsvc.metrics import Metrics
from configsvc.services import Services
from configsvc.settings import Settings, get_settings
from configsvc.shutdown import on_stop_signal
from configsvc.views import kinds
from configsvc.views.reader import Reader
from configsvc.views.watch import Watches

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def create_database(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        lease_timeout=settings.db_lease_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )


def create_reader(settings: Settings, database: Database) -> Reader:
    """The read side: with a database URL, a listener and a loop read connection of its own."""
    if not settings.database_url:  # a test's fake database: reads from it, nothing from memory
        return Reader(database, cache_bytes=settings.read_cache_bytes, refresh=settings.read_refresh)
    executor = database.executor

    async def run_blocking(work: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, work)

    timeouts = {"timeout": database.call_timeout, "statement_timeout_ms": settings.db_statement_timeout_ms}
    return Reader(
        database,
        cache_bytes=settings.read_cache_bytes,
        refresh=settings.read_refresh,
        listener=Listener(settings.database_url, run_blocking=run_blocking, **timeouts),
        loop_reads=LoopReads(settings.database_url, run_blocking=run_blocking, **timeouts),
    )


async def warn_unless_enforced(settings: Settings, reader: Reader) -> None:
    """Say it, loudly, when anyone who can reach the service may change everything."""
    if settings.auth_required:
        return
    try:
        enforcement = await reader.value(kinds.ACCESS_CONTROL, "")
    except (ServiceUnavailable, psycopg2.Error):
        return  # the database is away, or not migrated yet: readiness says so
    if not enforcement.enforced:
        log.warning(
            "access control is off: anyone who can reach this service can read and change every "
            "configuration. Create the first token (make token) to turn it on, or set AUTH_REQUIRED=true"
        )


def create_app(settings: Settings, *, database: Database | None = None, access_log: bool = False) -> FastAPI:
    """The service for `settings`. With `database`, it serves that one as it is (tests give an
    open one, or a fake), and its lifespan neither opens nor closes it. `access_log`: a line per
    request on the configsvc.access logger."""
    shipped = migrations.discover(migrations.MIGRATIONS_DIR)
    if not shipped:
        # An installed copy without its SQL would apply nothing and report ready on an empty database.
        raise migrations.MigrationError(f"no migration files found in {migrations.MIGRATIONS_DIR}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = create_database(settings) if owned else database
        if owned:
            await db.open()
        services.database = db
        reader = create_reader(settings, db)
        await reader.start(wait_seconds=settings.db_lease_timeout_seconds)
        await warn_unless_enforced(settings, reader)
        services.reader = reader
        watches = Watches(reader, max_held=settings.watch_max_held)
        watches.start()
        services.watches = watches
        undo_signal = on_stop_signal(watches.close)
        sampling = None
        if metrics is not None:
            db.on_wait = metrics.pool_wait.observe
            state = {"in_use": 0, "idle": 0, "held": 0, "wakeups": 0}

            def now() -> dict[str, int]:
                return state | {"in_use": db.leased, "idle": db.idle, "held": watches.held, "wakeups": watches.wakeups}

            sampling = asyncio.ensure_future(metrics.sample_forever(now))
        # What exists now (modules, routes, models, the pool) lives as long as the process: take
        # it out of the cyclic collector's way, so its full collections (tens of milliseconds
        # under load) scan only what requests left behind. A collection here first found nothing
        # to free, so none is run: it would cost every test's app its time.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            undo_signal()
            if sampling is not None:
                sampling.cancel()
                await asyncio.gather(sampling, return_exceptions=True)
            await watches.stop()
            await reader.stop()
            if owned:
                await db.close()

    # Swagger UI and ReDoc with their assets served by the service itself (no CDN): /docs and
    # /redoc work on a network without internet access.
    app = FastAPIOffline(
        title="configsvc",
        version="0.1.0",
        summary="Named JSON configurations per application, stored in PostgreSQL.",
        lifespan=lifespan,
        # Short, stable operation ids (the route's function name): a generated client's method names.
        generate_unique_id_function=lambda route: route.name,
    )
    metrics = (
        Metrics(version=app.version, schema_version=str(shipped[-1].version)) if settings.metrics_enabled else None
    )
    services = app.state.services = Services(settings, shipped, metrics)
    app.include_router(health.router)
    if metrics is not None:
        app.include_router(metrics_routes.router)
    app.include_router(applications.router, prefix=API_PREFIX)
    app.include_router(configurations.router, prefix=API_PREFIX)
    app.include_router(tokens.router, prefix=API_PREFIX)
    app.include_router(audit.router, prefix=API_PREFIX)
    app.include_router(configuration_schemas.router, prefix=API_PREFIX)
    install_problem_handlers(app)
    stack.install(app, settings, metrics, access_log=access_log)
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]
    return app


def app_from_environment() -> FastAPI:
    """The factory `make serve`'s worker processes call: settings from the environment and .env."""
    settings = get_settings()
    configure_logging(settings)
    # `make serve` writes the access log only at DEBUG (README): it costs every request a line.
    return create_app(settings, access_log=settings.log_level == "DEBUG")
