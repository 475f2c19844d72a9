"""The read side's entry point: every GET's read, linearizable, from memory when that is provably fresh.

A read reflects every write whose response was sent before the read arrived, whichever process or
instance made it. Two ways give that:

* from the database: reads arriving together share one statement (`batches.py`), sent after all of
  them arrived, in autocommit, so its snapshot holds every such write;
* from this process's cache of rendered results, but only after a sync round trip on the listening
  connection that began after the read arrived (`db/sync_point.py`): every change committed before
  it has then been heard, and has evicted what it made stale. Without a live listener nothing is
  served from memory; the cache is emptied whenever notifications may have been missed, and a fetch
  keeps what it found only if nothing it depends on changed meanwhile (`cache.py`).
"""

import asyncio
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from configsvc.db import deadline
from configsvc.db.listener import Listener, ListenerDown
from configsvc.db.loop_reads import LoopReads, ReadSessions
from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.views import health, kinds, tags
from configsvc.views.answer import Answer
from configsvc.views.batches import Batches
from configsvc.views.cache import ReadCache
from configsvc.views.kinds import ReadKind

# A subscriber learns the tags of every change, or None when anything may have changed unheard.
Subscriber = Callable[[tuple[str, ...] | None], None]

# An entry read within this long before a change made it stale is in use: it is read again at once
# (clients that poll a configuration do so every few seconds to a minute; the bench's reads of a
# document come 15-30 s apart). Older ones are only evicted.
RECENTLY_READ_SECONDS = 60.0
# A refresh round waits this long first, gathering what else goes stale meanwhile: under writes,
# fewer and larger statements, and a key written again meanwhile read once. A read in that time
# goes to the database, as it would without refreshing.
REFRESH_GATHER_SECONDS = 0.05


class Reader:
    """Reads through `listener` (None: nothing is served from memory) and, when it is free, the
    `loop_reads` connection (else the pool); with `refresh`, reads again soon what a change made
    stale while it was in use, read in the last RECENTLY_READ_SECONDS (else only evicts it)."""

    def __init__(
        self,
        database: Database,
        *,
        cache_bytes: int,
        refresh: bool = True,
        listener: Listener | None = None,
        loop_reads: LoopReads | None = None,
    ) -> None:
        self._database = database
        self.cache = ReadCache(cache_bytes)
        self.hits = 0
        self.misses = 0
        self.refresh = refresh
        self.refreshes = 0  # entries read again after a change because they were in use
        self.refresh_rounds = 0  # the batches they went in: one out at a time, all pending in each
        self._to_refresh: dict[tuple[Any, ...], float] = {}  # cache key (`ReadKind.cached_as`) -> last read
        self._refresher: asyncio.Task[None] | None = None
        self.listener = listener
        self.loop_reads = loop_reads
        self._subscribers: list[Subscriber] = []
        if listener is not None:
            listener.subscribe(self.notified, self.reset)
        sessions = ReadSessions(database, loop_reads)
        self._batches: dict[ReadKind[Any], Batches[Any]] = {
            kind: Batches(kind, sessions, self.cache) for kind in kinds.ALL
        }

    async def start(self, *, wait_seconds: float = 0) -> None:
        """Start listening; with `wait_seconds`, give the first connection that long (a service that
        starts while its database is down serves anyway, from the database, and keeps trying)."""
        if self.listener is not None:
            self.listener.start()
            if wait_seconds:
                await self.listener.wait_live(wait_seconds)
        if self.loop_reads is not None:
            await self.loop_reads.wait_connected(wait_seconds if self.listening else 0)

    @property
    def refreshing(self) -> bool:
        return self._refresher is not None

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
        if self.listener is not None:
            await self.listener.stop()
        if self.loop_reads is not None:
            await self.loop_reads.close()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    @property
    def listening(self) -> bool:
        return self.listener is not None and self.listener.live

    async def value[K: Hashable](self, kind: ReadKind[K], key: K) -> Any:
        """The current representation or page of `key`; NotFound raised if there is none."""
        return (await self.read(kind, key))[0]

    async def read[K: Hashable](self, kind: ReadKind[K], key: K) -> tuple[Any, tuple[str, ...]]:
        """The current value of `key` of `kind`, with the tags whose change makes it stale; NotFound
        raised if there is none. All of its waits end within the database's call timeout
        (DB_STATEMENT_TIMEOUT_MS + 2 s), then DatabaseUnavailable."""
        (answer,) = await self.read_together([(kind, key)])
        return answer.result(), answer.tags

    async def read_together(self, wanted: list[tuple[ReadKind[Any], Hashable]]) -> list[Answer]:
        """Several reads for one request, proven by one sync round trip (what is cached) and batches
        (what is not), all at once: a request's authentication and its read share one round trip.
        Each answer's `result()` gives its value or raises its NotFound."""
        with deadline.bounded(self._database.call_timeout):
            answers = await self._from_memory(wanted)
            missing = [n for n, answer in enumerate(answers) if answer is None]
            if missing:
                self.misses += len(missing)
                loaded = await asyncio.gather(*(self._batches[wanted[n][0]].load(wanted[n][1]) for n in missing))
                now = time.monotonic()
                for n, answer in zip(missing, loaded, strict=True):
                    answers[n] = answer
                    kind, key = wanted[n]
                    self.cache.read_at(kind.cached_as(key), now)
            return answers  # type: ignore[return-value]

    async def _from_memory(self, wanted: list[tuple[ReadKind[Any], Hashable]]) -> list[Answer | None]:
        """What of `wanted` the cache holds once a sync round trip has proven it current; None for
        the rest (every read, with no sync at all, if the cache holds none of it)."""
        listener = self.listener
        cache = self.cache
        cached = [kind.cached_as(key) for kind, key in wanted]
        if listener is None or not listener.live or not any(key in cache for key in cached):
            return [None] * len(wanted)
        try:
            await listener.synced()
        except ListenerDown:
            return [None] * len(wanted)  # nothing provable from memory: ask the database
        if not listener.live:  # lost during the round trip (the cache was cleared then)
            return [None] * len(wanted)
        now = time.monotonic()
        answers: list[Answer | None] = []
        for (kind, key), cached_key in zip(wanted, cached, strict=True):
            entry = cache.entry(cached_key, now)
            if entry is None:
                answers.append(None)
            elif kind.assemble is not None:
                answers.append(self._assembled(kind, key, kind.restored(entry[0]), now))
            else:
                answers.append(Answer(kind.restored(entry[0]), entry[1]))
        self.hits += sum(answer is not None for answer in answers)
        return answers

    def _assembled(self, kind: ReadKind[Any], key: Hashable, kept: Any, now: float) -> Answer | None:
        """An answer kept as parts (`ReadKind.assemble`), from memory if every part is there: all of
        them proven current by the same sync round trip, so together they are one moment's answer.
        Otherwise None, and the whole answer is read from the database in one statement (never
        some parts from memory and some from the database: from two moments)."""
        cache = self.cache

        def parts(name: str, keys: Iterable[Hashable]) -> list[Any] | None:
            part_kind = kind.parts[name]
            return cache.values([part_kind.cached_as(part_key) for part_key in keys], now)

        assert kind.assemble is not None
        return kind.assemble(key, kept, parts)

    async def read_from_database(self, wanted: list[tuple[ReadKind[Any], Hashable]]) -> list[Answer]:
        """Several reads answered by the database (batches), never from memory, so with no sync round
        trip: for a write's authentication. While writes commit, a sync finds commits and sends a
        marker, a NOTIFY transaction that wakes every listener; a batched read costs less."""
        with deadline.bounded(self._database.call_timeout):
            self.misses += len(wanted)
            return list(await asyncio.gather(*(self._batches[kind].load(key) for kind, key in wanted)))

    def peek[K: Hashable](self, kind: ReadKind[K], key: K) -> tuple[Any, tuple[str, ...]] | None:
        """What this process's cache holds for `key` of `kind`, without the sync round trip: not a
        read, since a change committed but not yet heard is missing from it. A held request uses it
        only to decide to go on waiting (a change it has not heard will wake it when heard, or the
        reconcile will), never to answer."""
        listener = self.listener
        if listener is None or not listener.live:
            return None
        entry = self.cache.entry(kind.cached_as(key), time.monotonic())
        return None if entry is None else (kind.restored(entry[0]), entry[1])

    async def applied_migrations(self) -> set[tuple[int, str]]:
        """Readiness always asks the database itself."""
        async with Session(self._database, autocommit=True) as session:
            return await health.applied_migrations(session)

    async def current_etags(self, keys: list[tuple[ReadKind[Any], Hashable]]) -> dict[tuple[Any, Hashable], str | None]:
        """The database's current ETag of each (kind, key) of a watchable kind, None where there is
        none: one statement per kind, whatever the cache holds (the watches' reconcile)."""
        by_kind: dict[ReadKind[Any], list[Hashable]] = {}
        for kind, key in keys:
            by_kind.setdefault(kind, []).append(key)
        found: dict[tuple[Any, Hashable], str | None] = {}
        async with Session(self._database, autocommit=True) as session:
            for kind, of_kind in by_kind.items():
                assert kind.current_etags is not None, kind
                for key, etag in (await kind.current_etags(session, of_kind)).items():
                    found[(kind, key)] = etag
        return found

    def notified(self, payload: str) -> None:
        """A change notification arrived (the listener's). What it makes stale is evicted; what of it
        is in use (read in the last RECENTLY_READ_SECONDS) is read again soon, batched with the other
        refreshes pending (`_refresh_pending`), so that the next read of it finds it cached again."""
        changed = tags.of_notification(payload)
        if changed is None:
            self.reset()
            return
        evicted = self.cache.invalidate(changed)
        if evicted and self.refresh:
            recently = time.monotonic() - RECENTLY_READ_SECONDS
            for cached, last_read in evicted:
                if last_read >= recently:
                    self._refresh(cached, last_read)
        for subscriber in self._subscribers:
            subscriber(changed)

    def _refresh(self, cached: tuple[Any, ...], last_read: float) -> None:
        """Read it again in the next round (`Batches.refresh`): kept only if nothing changed meanwhile
        (cache.py)."""
        if not kinds.NAMED[cached[0]].refreshable:
            return
        self.refreshes += 1
        self._to_refresh[cached] = last_read
        if self._refresher is None:
            self._refresher = asyncio.ensure_future(self._refresh_pending())

    async def _refresh_pending(self) -> None:
        """One round of refreshes out at a time, each after REFRESH_GATHER_SECONDS; what goes stale
        meanwhile waits for the next, with everything else that did. Under writes that is many
        entries per statement, where one round per notification was a statement, a task and a
        connection's turn for every entry changed. What a read has fetched meanwhile is skipped."""
        try:
            while self._to_refresh:
                await asyncio.sleep(REFRESH_GATHER_SECONDS)
                pending, self._to_refresh = self._to_refresh, {}
                pending = {cached: last_read for cached, last_read in pending.items() if cached not in self.cache}
                if not pending:
                    continue
                self.refresh_rounds += 1
                by_kind: dict[ReadKind[Any], list[Hashable]] = {}
                for cached in pending:
                    kind, key = kinds.of_cached(cached)
                    by_kind.setdefault(kind, []).append(key)
                with self.cache.reading_again(pending), deadline.bounded(self._database.call_timeout):
                    # One statement per kind. A refresh that fails leaves its entries evicted, nothing more.
                    await asyncio.gather(
                        *(self._batches[kind].refresh(keys) for kind, keys in by_kind.items()), return_exceptions=True
                    )
        finally:
            self._refresher = None

    def reset(self) -> None:
        """Changes may have gone unheard (the listener's connection was lost or made)."""
        self.cache.clear()
        for subscriber in self._subscribers:
            subscriber(None)
