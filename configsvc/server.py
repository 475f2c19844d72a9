"""Serving: `make run` (development, one process) and `make serve` (production, N workers).

Both start the embedded database when DATABASE_URL is empty (once, in this parent process) and
apply pending migrations before any request is served.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import uvicorn

from configsvc import migrations
from configsvc.embedded_postgres import EmbeddedPostgresMissing, database_url
from configsvc.http_protocol import http_protocol
from configsvc.logs import configure_logging, logging_config
from configsvc.main import create_app
from configsvc.metrics import prepare_multiprocess_directory
from configsvc.settings import Settings

log = logging.getLogger(__name__)

# On SIGTERM/Ctrl-C, requests in flight get this long to finish before they are cut off.
GRACEFUL_SHUTDOWN_SECONDS = 10


class StartupFailed(Exception):
    pass


@contextmanager
def migrated_database(settings: Settings) -> Iterator[str]:
    """Yield the URL of the (embedded or configured) database once it is fully migrated."""
    with database_url(settings.database_url, settings.data_dir) as url:
        try:
            for file in migrations.apply(url):
                log.info("applied migration %s", file.filename)
        except migrations.MigrationError as error:
            raise StartupFailed(str(error)) from None
        except psycopg2.Error as error:
            raise StartupFailed(f"the database is unreachable: {str(error).strip()}") from None
        yield url


@contextmanager
def metrics_directory(settings: Settings) -> Iterator[None]:
    """The run's multiprocess metrics directory, made empty before the workers start and removed
    after them: PROMETHEUS_MULTIPROC_DIR if the operator set one, else a fresh one."""
    if not settings.metrics_enabled:
        yield
        return
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = given or tempfile.mkdtemp(prefix="configsvc-metrics-")
    prepare_multiprocess_directory(directory)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        yield
    finally:
        if given is None:
            shutil.rmtree(directory, ignore_errors=True)
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def run(settings: Settings) -> int:
    """Serve in one process until Ctrl-C; the embedded database stops with it. Returns the exit code."""
    configure_logging(settings)
    try:
        with migrated_database(settings) as url:
            app = create_app(settings.model_copy(update={"database_url": url}), access_log=True)
            uvicorn.run(
                app,
                host=settings.host,
                port=settings.port,
                http=http_protocol(settings),  # httptools, with bounds on request heads (MAX_HEADER_BYTES...)
                log_level=settings.log_level.lower(),
                log_config=logging_config(settings),
                access_log=False,  # the service writes its own (with route, status, duration, request id)
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            )
    except (StartupFailed, EmbeddedPostgresMissing) as error:
        log.error("cannot start: %s", error)
        return 1
    return 0


def serve(settings: Settings) -> int:
    """Production serving: WORKERS processes, uvloop + httptools (bounded, as in `run`), no reload,
    access log at DEBUG only."""
    configure_logging(settings)
    try:
        with migrated_database(settings) as url, metrics_directory(settings):
            # Workers are new processes that read their settings from the environment.
            os.environ["DATABASE_URL"] = url
            uvicorn.run(
                "configsvc.main:app_from_environment",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                loop="uvloop",
                http=http_protocol(settings),  # httptools, with bounds on request heads (MAX_HEADER_BYTES...)
                log_level=settings.log_level.lower(),
                log_config=logging_config(settings),
                access_log=False,  # the service writes its own, at DEBUG (see main.app_from_environment)
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            )
    except (StartupFailed, EmbeddedPostgresMissing) as error:
        log.error("cannot start: %s", error)
        return 1
    return 0
