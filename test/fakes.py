"""Fakes that subclass (or stand in for) the real interface, for tests that touch no SQL."""

from configsvc.db.pool import Database
from configsvc.main import create_app
from test.client import settings_for


class NoDatabase(Database):
    """A pool never opened: every lease is a DatabaseUnavailable (503), and nothing connects."""

    def __init__(self) -> None:
        super().__init__("", min_size=0, max_size=1, lease_timeout=0.1, statement_timeout_ms=1000)

    async def close(self) -> None:
        self.executor.shutdown(wait=False)


def app_without_database(**overrides: object):
    """The whole app (middleware, routes, handlers) over `NoDatabase`: no PostgreSQL needed."""
    return create_app(settings_for("", **overrides), database=NoDatabase())


class FakeServer:
    """A started service as the bench's runners use it (a subprocess.Popen): stopped, never run."""

    def __init__(self) -> None:
        self.stopped = False
        self.pid = 1

    def send_signal(self, signal: int) -> None:
        self.stopped = True

    def wait(self, timeout: float) -> int:
        return 0
