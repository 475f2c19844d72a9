"""`make run`: the embedded database when none is configured, migrations, then uvicorn."""

import logging

import psycopg2
import uvicorn

from configsvc import migrations
from configsvc.embedded_postgres import database_url
from configsvc.main import create_app
from configsvc.settings import Settings

log = logging.getLogger(__name__)

# On SIGTERM/Ctrl-C, requests in flight get this long to finish before they are cut off.
GRACEFUL_SHUTDOWN_SECONDS = 10


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(settings: Settings) -> int:
    """Serve in one process until Ctrl-C; the embedded database stops with it. Returns the exit code."""
    configure_logging(settings)
    with database_url(settings.database_url, settings.data_dir) as url:
        try:
            for file in migrations.apply(url):
                log.info("applied migration %s", file.filename)
        except migrations.MigrationError as error:
            log.error("cannot start: %s", error)
            return 1
        except psycopg2.Error as error:
            log.error("cannot start: the database is unreachable: %s", str(error).strip())
            return 1
        app = create_app(settings.model_copy(update={"database_url": url}))
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    return 0
