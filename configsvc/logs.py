"""Process-wide logging: every line the service writes (its own, uvicorn's, the access log) through
one handler, as text for people or, with LOG_FORMAT=json, one JSON object per line for shippers."""

import contextvars
import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from configsvc.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The request being served, for every line logged while serving it (X-Request-ID's value).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# Fields an access line carries besides the message (see configsvc.api.middleware).
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """ts (RFC 3339, UTC), level, logger, message, request_id where there is one, an access line's
    fields, and a traceback inside the object (exc_info), never as loose lines."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            line["request_id"] = record.request_id
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for this process, and for uvicorn to apply in each worker it starts."""
    formatter = {"()": JsonFormatter} if settings.log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"configsvc": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "configsvc",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": settings.log_level},
        # uvicorn's loggers lose their own handlers and format: their lines come through ours. Its
        # access log is off: the service writes its own (configsvc.access), with the route.
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": settings.log_level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": settings.log_level},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
