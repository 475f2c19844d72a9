import json
import logging
import sys

from configsvc.logs import JsonFormatter, RequestIdFilter, configure_logging, logging_config, request_id
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


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("configsvc.test", logging.WARNING, __file__, 1, message, (), None)
    made.__dict__.update(extra)
    RequestIdFilter().filter(made)
    return made


def test_a_json_line_has_the_fields_a_shipper_parses():
    token = request_id.set("5b0e0c9e-3f7e-4d0c-9a51-2f1f0b7c3b1a")
    try:
        line = json.loads(JsonFormatter().format(record("hello ünï")))
    finally:
        request_id.reset(token)

    assert line["ts"].endswith("Z")
    assert len(line["ts"]) == len("2026-11-26T06:05:04.123456Z")
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "configsvc.test", "hello ünï")
    assert line["request_id"] == "5b0e0c9e-3f7e-4d0c-9a51-2f1f0b7c3b1a"
    assert "request_id" not in json.loads(JsonFormatter().format(record("outside a request")))


def test_a_traceback_stays_inside_the_object():
    try:
        raise ValueError("boom")
    except ValueError:
        failed = record("failed", exc_info=sys.exc_info())

    text = JsonFormatter().format(failed)

    assert "\n" not in text  # one line
    assert "ValueError: boom" in json.loads(text)["exc_info"]


def test_uvicorns_lines_come_through_the_service_handler_and_its_access_log_is_off():
    config = logging_config(Settings(_env_file=None, log_format="json"))

    assert config["formatters"]["configsvc"] == {"()": JsonFormatter}
    assert config["loggers"]["uvicorn.error"] == {"handlers": [], "propagate": True, "level": "INFO"}
    assert config["loggers"]["uvicorn.access"]["propagate"] is False
    assert logging_config(Settings(_env_file=None))["formatters"]["configsvc"]["format"].startswith("%(asctime)s")
