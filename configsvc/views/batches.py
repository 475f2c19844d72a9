"""Reads of one kind arriving together share one connection (the loop read connection, or a pooled
one: `db/loop_reads.py`) and, where the SQL allows, one statement: the DataLoader pattern.

A batch stays open while it waits for a connection, and is sealed when it gets one, before
its statement is sent: every read in it arrived before the statement, so the statement's snapshot
holds every write acknowledged before any of them. A read arriving later joins the next batch.
Reads of the same key in one batch share its answer. What a batch finds is kept in the cache when
the cache's guard allows (`cache.py`), before any of its readers resumes: the answer, or the parts
it is assembled from on a hit (`Answer.parts`), all under that one guard.
"""

import asyncio
from collections.abc import Hashable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from configsvc.db import deadline
from configsvc.db.statements import Reads
from configsvc.errors import DatabaseUnavailable
from configsvc.views.answer import Answer, Sized
from configsvc.views.cache import Fetch, ReadCache
from configsvc.views.kinds import ReadKind


class Sessions(Protocol):
    """Where batches get their connection (`db.loop_reads.ReadSessions`)."""

    def lease(self) -> AbstractAsyncContextManager[Reads]: ...


class Batches[K: Hashable]:
    def __init__(self, kind: ReadKind[K], sessions: Sessions, cache: ReadCache) -> None:
        self._kind = kind
        self._sessions = sessions
        self._cache = cache
        self._open: dict[K, asyncio.Future[Answer]] | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    async def load(self, key: K) -> Answer:
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

    async def refresh(self, keys: list[K]) -> None:
        """Read `keys` again into the cache, for nobody waiting: one statement (as a batch's, under
        the same guard), without a future, a task and a deadline per key."""
        async with self._sessions.lease() as session:
            await self._fetch(session, keys)

    async def _fetch(self, session: Reads, keys: list[K]) -> dict[K, Answer]:
        """The view's answers for `keys`, kept in the cache as far as its guard allows (`cache.py`):
        the guard opens once the connection is ours, before the statement is sent."""
        with self._cache.fetching() as fetch:
            answers = await self._kind.view(session, keys)
            for key, answer in answers.items():
                if answer.parts is not None:
                    for part in answer.parts:
                        kind = self._kind.parts[part.kind] if part.kind else self._kind
                        _keep(fetch, kind, part.key, part.value, part.tags)
                elif answer.value is not None:
                    _keep(fetch, self._kind, key, answer.value, answer.tags)
        return answers

    async def _flush(self) -> None:
        batch: dict[K, asyncio.Future[Answer]] | None = None
        try:
            async with self._sessions.lease() as session:
                batch, self._open = self._open or {}, None
                answers = await self._fetch(session, list(batch))
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
                future.set_result(answers[key])


def _keep(fetch: Fetch, kind: ReadKind[Any], key: Hashable, value: Sized, tags: tuple[str, ...]) -> None:
    """Keep `value` under `key` as the cache holds them (`ReadKind.cached_as`, `ReadKind.kept`)."""
    fetch.keep(kind.cached_as(key), kind.kept(value), tags, value.size)
