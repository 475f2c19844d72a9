"""Reads of one kind arriving together share one connection (the loop read connection, or a pooled
one: `db/loop_reads.py`) and, where the SQL allows, one statement: the DataLoader pattern.

A batch stays open while it waits for a connection, and is sealed when it gets one, before
its statement is sent: every read in it arrived before the statement, so the statement's snapshot
holds every write acknowledged before any of them. A read arriving later joins the next batch.
Reads of the same key in one batch share its answer.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from configsvc.db import deadline
from configsvc.errors import DatabaseUnavailable
from configsvc.views.outcome import Outcome

# A view is given a session with `fetch_one` and `fetch_all` (a pooled Session, or a LoopSession).
type View[K] = Callable[[Any, list[K]], Awaitable[dict[K, Outcome]]]


class Sessions(Protocol):
    """Where batches get their connection: a `Database`, or `db.loop_reads.ReadSessions`."""

    def lease(self, *, autocommit: bool) -> AbstractAsyncContextManager[Any]: ...


class Batches[K: Hashable, T]:
    """`begin()` is called as a batch is sealed and its result goes to `finish(ticket, outcomes)`,
    which runs before any reader of the batch resumes (the cache stores there)."""

    def __init__(
        self,
        sessions: Sessions,
        view: View[K],
        *,
        begin: Callable[[], T],
        finish: Callable[[T, dict[K, Outcome]], None],
        abandon: Callable[[T], None],
    ) -> None:
        self._sessions = sessions
        self._view = view
        self._begin = begin
        self._finish = finish
        self._abandon = abandon
        self._open: dict[K, asyncio.Future[Outcome]] | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    async def load(self, key: K) -> Outcome:
        if self._open is None:
            self._open = {}
            task = asyncio.ensure_future(self._flush())
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)
        future = self._open.get(key)
        if future is None:
            future = self._open[key] = asyncio.get_running_loop().create_future()
        # Shielded: a reader that gives up must not cancel the answer the others in the batch wait for.
        try:
            async with deadline.timeout():  # the reader's deadline (the batch has timeouts of its own)
                return await asyncio.shield(future)
        except TimeoutError:
            raise DatabaseUnavailable("the database did not answer in time") from None

    async def _flush(self) -> None:
        batch: dict[K, asyncio.Future[Outcome]] | None = None
        try:
            async with self._sessions.lease(autocommit=True) as session:
                batch, self._open = self._open or {}, None
                ticket = self._begin()
                try:
                    outcomes = await self._view(session, list(batch))
                except BaseException:
                    self._abandon(ticket)
                    raise
                self._finish(ticket, outcomes)
        except BaseException as error:
            if batch is None:
                batch, self._open = self._open or {}, None
            for future in batch.values():
                if future.done():
                    continue
                if isinstance(error, Exception):
                    future.set_exception(error)
                    future.exception()  # retrieved: a reader that left raises nothing
                else:
                    future.cancel()
            if not isinstance(error, Exception):
                raise
            return
        for key, future in batch.items():
            if not future.done():
                future.set_result(outcomes[key])
