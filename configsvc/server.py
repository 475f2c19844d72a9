"""`make run`: the embedded database when none is configured, migrations, then uvicorn."""

import logging

import uvicorn

from configsvc import migrations
from configsvc.embedded_postgres import database_url
from configsvc.main import create_app
from configsvc.settings import Settings

log = logging.getLogger(__name__)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(settings: Settings) -> None:
    """Serve in one process until Ctrl-C; the embedded database stops with it."""
    configure_logging(settings)
    with database_url(settings.database_url, settings.data_dir) as url:
        for file in migrations.apply(url):
            log.info("applied migration %s", file.filename)
        app = create_app(settings.model_copy(update={"database_url": url}))
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
