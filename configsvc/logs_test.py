import logging

from configsvc.logs import configure_logging
from configsvc.settings import Settings


def test_the_root_logger_follows_log_level():
    previous = logging.getLogger().level
    try:
        configure_logging(Settings(_env_file=None, log_level="WARNING"))
        assert logging.getLogger().level == logging.WARNING
        configure_logging(Settings(_env_file=None, log_level="DEBUG"))
        assert logging.getLogger().level == logging.DEBUG
    finally:
        logging.getLogger().setLevel(previous)
