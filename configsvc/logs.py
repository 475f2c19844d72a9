"""Process-wide logging, configured once by whichever entry point starts the process."""

import logging

from configsvc.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format=FORMAT)
    logging.getLogger().setLevel(settings.log_level)
