"""The pool's connections: what each remembers, and how to tell a broken one without a round trip."""

import select
from typing import Any

import psycopg2
from psycopg2.extensions import connection

# Errors after which a connection's state cannot be trusted: it is closed, not reused.
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class PooledConnection(connection):
    """A psycopg2 connection that remembers which statements it has prepared."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()


def looks_dead(conn: connection) -> bool:
    """An idle connection has nothing to read; if its socket is readable, the server closed it
    (restart, pg_terminate_backend, idle timeout). One syscall, no round trip."""
    if conn.closed:
        return True
    try:
        poller = select.poll()  # not select.select(): that fails for descriptors >= 1024
        poller.register(conn.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, psycopg2.Error):
        return True


def connection_lost(conn: connection | None, error: BaseException) -> bool:
    """Whether the connection itself failed, rather than one statement on it.

    Statement timeouts, deadlocks and serialization failures are OperationalErrors too, but
    they leave a healthy connection that only needs a rollback.
    """
    if not isinstance(error, CONNECTION_ERRORS):
        return False
    if conn is None or conn.closed or isinstance(error, psycopg2.InterfaceError):
        return True
    code = getattr(error, "pgcode", None)
    return code is None or code.startswith("08")
