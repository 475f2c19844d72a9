"""The service's connections: how each is opened, what a pooled one remembers, how to tell a broken
one without a round trip, and how an asynchronous one is driven by the event loop."""

import asyncio
import select
from typing import Any

import psycopg2
from psycopg2.extensions import POLL_OK, POLL_READ, POLL_WRITE, connection

# Errors after which a connection's state cannot be trusted: it is closed, not reused.
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


def connection_parameters(*, statement_timeout_ms: int, connect_timeout: int, application_name: str) -> dict[str, Any]:
    """psycopg2.connect's keywords for every connection the service opens (pool, listener, loop
    reads): timestamps rendered in UTC, the statement timeout, and TCP keepalives."""
    return {
        "application_name": application_name,
        "options": f"-c timezone=UTC -c statement_timeout={statement_timeout_ms}",
        "connect_timeout": connect_timeout,
        # Over TCP, notice a vanished server within ~25 s even while waiting for a reply.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }


class Connection(connection):
    """A psycopg2 connection that remembers which statements it has prepared (every connection the
    service opens: pooled, listening, or the loop read connection)."""

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


async def polled(conn: connection) -> None:
    """Poll an asynchronous connection until its connect or query is done, waiting on the event
    loop's reader (or writer) callback in between."""
    loop = asyncio.get_running_loop()
    while (state := conn.poll()) != POLL_OK:
        if state not in (POLL_READ, POLL_WRITE):
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        ready = loop.create_future()

        def wake(ready: asyncio.Future[None] = ready) -> None:
            if not ready.done():  # a level-triggered descriptor may fire again before we resume
                ready.set_result(None)

        fd = conn.fileno()
        add, remove = (
            (loop.add_reader, loop.remove_reader) if state == POLL_READ else (loop.add_writer, loop.remove_writer)
        )
        add(fd, wake)
        try:
            await ready
        finally:
            remove(fd)
