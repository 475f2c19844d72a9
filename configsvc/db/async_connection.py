"""One psycopg2 connection in asynchronous mode, driven by the event loop: what the listener and the
loop read connection are each built on, with the one policy for connecting again.

Only opening it, which may resolve a host name, runs on the executor; after that nothing on it
blocks. Its descriptor is registered with the event loop by the number it had when opened, and
unregistered by that number: libpq closes the socket itself when the server goes away, and a
registration left behind would capture whatever socket is given that number next (a client's
connection accepted a moment later, whose requests would never be read).
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import psycopg2
from psycopg2.extensions import cursor as Cursor

from configsvc.db.connection import Connection, connection_parameters, looks_dead, polled
from configsvc.db.statements import Statement, steps

type RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]

# Seconds between attempts to connect: short at first (a restart, a failover), then one a second.
RECONNECT_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0)


class Backoff:
    """How long to wait before the next attempt to connect; `reset()` once connected."""

    def __init__(self, delays: tuple[float, ...] = RECONNECT_DELAYS) -> None:
        self._delays = delays
        self._attempts = 0

    def next_delay(self) -> float:
        delay = self._delays[min(self._attempts, len(self._delays) - 1)]
        self._attempts += 1
        return delay

    def reset(self) -> None:
        self._attempts = 0


class AsyncConnection:
    def __init__(self, raw: Connection) -> None:
        self.raw = raw
        self.cursor: Cursor | None = None  # the query in flight's: psycopg2 holds it only weakly
        self._fd = raw.fileno()
        self._watching = False

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        run_blocking: RunBlocking,
        within: float,
        statement_timeout_ms: int,
        application_name: str,
    ) -> "AsyncConnection":
        """Connect (to whichever host of `dsn` qualifies, as libpq decides), within `within` seconds."""
        parameters = connection_parameters(
            statement_timeout_ms=statement_timeout_ms,
            connect_timeout=max(1, round(within)),
            application_name=application_name,
        )
        raw = await run_blocking(
            lambda: psycopg2.connect(dsn, async_=True, connection_factory=Connection, **parameters)
        )
        try:
            async with asyncio.timeout(within):
                await polled(raw)
        except BaseException:
            raw.close()
            raise
        return cls(raw)

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)

    def looks_dead(self) -> bool:
        return looks_dead(self.raw)

    async def execute(self, statement: Statement, params: object = None, *, cursor_factory: Any = None) -> Cursor:
        """Run `statement` (preparing it first on this connection if it is a Prepared one not yet
        prepared here) and return its cursor; no timeout of its own (the caller's bounds it)."""
        cursor = self.raw.cursor(cursor_factory=cursor_factory)
        self.cursor = cursor
        for sql, with_params in steps(statement, self.raw.prepared):
            cursor.execute(sql, params if with_params else None)
            await polled(self.raw)
        return cursor

    def send(self, sql: str, params: object = None) -> None:
        """Start `sql` without waiting: its answer comes through `poll()` (the listener's way)."""
        self.cursor = self.raw.cursor()
        self.cursor.execute(sql, params)

    def poll(self) -> int:
        return self.raw.poll()

    def take_notifications(self) -> list[Any]:
        """The notifications received so far, oldest first, and forgets them."""
        notifications = list(self.raw.notifies)
        self.raw.notifies.clear()
        return notifications

    def on_readable(self, callback: Callable[[], None]) -> None:
        asyncio.get_running_loop().add_reader(self._fd, callback)
        self._watching = True

    def on_writable(self, callback: Callable[[], None] | None) -> None:
        """`callback` once the socket can take more, or None to stop asking."""
        loop = asyncio.get_running_loop()
        if callback is None:
            loop.remove_writer(self._fd)
        else:
            loop.add_writer(self._fd, callback)
            self._watching = True

    def close(self) -> None:
        if self._watching:
            loop = asyncio.get_running_loop()
            loop.remove_reader(self._fd)
            loop.remove_writer(self._fd)
            self._watching = False
        self.cursor = None
        with suppress(psycopg2.Error):
            self.raw.close()
