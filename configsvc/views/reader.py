"""The read side's entry point: every GET's read, linearizable, from memory when that is provably fresh.

A read reflects every write whose response was sent before the read arrived, whichever process or
instance made it (SPEC §3). Two ways give that:

* from the database: reads arriving together share one statement (`batches.py`), sent after all of
  them arrived, in autocommit, so its snapshot holds every such write;
* from this process's cache of rendered results, but only after a sync round trip on the listening
  connection that began after the read arrived (`db/listener.py`): every change committed before
  it has then been announced, and has evicted what it made stale. Without a live listener nothing
  is served from memory; the cache is emptied whenever notifications may have been missed.

A fetch stores its results only if no change to them was announced since its statement was sent,
and only if the listener was live throughout (same epoch).
"""

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from configsvc.db import deadline
from configsvc.db.listener import Listener, ListenerDown
from configsvc.db.loop_reads import LoopReads, ReadSessions
from configsvc.db.pool import Database
from configsvc.representations import Page, Representation
from configsvc.views import applications, configurations, etags, health
from configsvc.views.batches import Batches, View
from configsvc.views.cache import ReadCache
from configsvc.views.outcome import APPLICATIONS, Outcome, application_row

# Every kind of read, and the view that answers a batch of its keys.
VIEWS: dict[str, View] = {
    "configuration": configurations.configurations,  # key: id
    "by_name": configurations.by_names,  # key: (application name, name)
    "revisions": configurations.revisions,  # key: (configuration id, limit, before)
    "revision": configurations.revision,  # key: (configuration id, version)
    "application": applications.applications_by_id,  # key: id
    "applications": applications.applications,  # key: (limit, after, name)
    "configurations_of": applications.configurations_of,  # key: (application id, limit, after)
}

# A subscriber learns the tags of every change, or None when anything may have changed unheard.
Subscriber = Callable[[tuple[str, ...] | None], None]


@dataclass(frozen=True, slots=True)
class Ticket:
    began: int  # the cache clock when the batch's statement was sent
    epoch: int  # the listener's epoch then
    live: bool  # whether it was listening then


def tags_of(payload: str) -> tuple[str, ...] | None:
    """The tags a notification changes (see migrations/0003 and 0004); None for '*' or anything
    unknown. An application's change moves what shows it, and its row's tag unless only its seq
    moved; a configuration's change moves its application's representation too (seq)."""
    kind, _, rest = payload.partition(":")
    if kind == "a" and rest:
        application_id, _, what = rest.partition(":")
        if what == "seq":
            return (application_id, APPLICATIONS)
        return (application_id, application_row(application_id), APPLICATIONS)
    if kind == "c" and rest:
        configuration_id, _, application_id = rest.partition(":")
        return (configuration_id, application_id, APPLICATIONS)
    return None


class Reader:
    def __init__(
        self,
        database: Database,
        *,
        cache_bytes: int,
        listen_dsn: str | None,
        statement_timeout_ms: int = 5000,
        loop_reads: bool = False,
    ) -> None:
        """With `loop_reads` (and a `listen_dsn`), reads run on a connection of the event loop's
        own whenever it is free (`db/loop_reads.py`), on the pool otherwise."""
        self._database = database
        self.cache = ReadCache(cache_bytes)
        self.hits = 0
        self.misses = 0
        self._subscribers: list[Subscriber] = []
        self.listener: Listener | None = None
        self.loop_reads: LoopReads | None = None
        if listen_dsn is not None:
            loop_executor = database.executor

            async def run_blocking(work: Callable[[], Any]) -> Any:
                return await asyncio.get_running_loop().run_in_executor(loop_executor, work)

            if loop_reads:
                self.loop_reads = LoopReads(
                    listen_dsn,
                    run_blocking=run_blocking,
                    timeout=database.call_timeout,
                    statement_timeout_ms=statement_timeout_ms,
                )

            self.listener = Listener(
                listen_dsn,
                on_notification=self._notified,
                on_reset=self._reset,
                run_blocking=run_blocking,
                timeout=database.call_timeout,
                statement_timeout_ms=statement_timeout_ms,
            )
        self._batches: dict[str, Batches] = {}
        sessions = ReadSessions(database, self.loop_reads)
        for kind, view in VIEWS.items():
            self._batches[kind] = Batches(
                sessions, view, begin=self._begin, finish=self._finisher(kind), abandon=self._abandon
            )

    async def start(self, *, wait_seconds: float = 0) -> None:
        """Start listening; with `wait_seconds`, give the first connection that long (a service that
        starts while its database is down serves anyway, from the database, and keeps trying)."""
        if self.listener is not None:
            self.listener.start()
            if wait_seconds:
                await self.listener.wait_live(wait_seconds)
        if self.loop_reads is not None:
            await self.loop_reads.wait_connected(wait_seconds if self.listening else 0)

    async def stop(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
        if self.loop_reads is not None:
            await self.loop_reads.close()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    @property
    def listening(self) -> bool:
        return self.listener is not None and self.listener.live

    async def configuration(self, id: str) -> Representation:
        return await self._read("configuration", id)

    async def configuration_by_name(self, application: str, name: str) -> Representation:
        return await self._read("by_name", (application, name))

    async def revisions(self, configuration_id: str, *, limit: int, before: int | None) -> Page:
        return await self._read("revisions", (configuration_id, limit, before))

    async def revision(self, configuration_id: str, version: int) -> Representation:
        return await self._read("revision", (configuration_id, version))

    async def application(self, id: str) -> Representation:
        return await self._read("application", id)

    async def applications(self, *, limit: int, after: str | None, name: str | None = None) -> Page:
        return await self._read("applications", (limit, after, name))

    async def configurations_of(self, application_id: str, *, limit: int, after: str | None) -> Page:
        return await self._read("configurations_of", (application_id, limit, after))

    async def applied_migrations(self) -> set[tuple[int, str]]:
        """Readiness always asks the database itself."""
        async with self._database.lease(autocommit=True) as session:
            return await health.applied_migrations(session)

    async def _read(self, kind: str, key: Hashable) -> Any:
        return (await self.read(kind, key))[0]

    async def read(self, kind: str, key: Hashable) -> tuple[Any, tuple[str, ...]]:
        """The current value of `key` of `kind` (see `VIEWS`), with the tags whose change makes it
        stale; NotFound raised if there is none. All of its waits end within the database's call
        timeout (DB_STATEMENT_TIMEOUT_MS + 2 s), then DatabaseUnavailable."""
        with deadline.bounded(self._database.call_timeout):
            return await self._read_bounded(kind, key)

    async def _read_bounded(self, kind: str, key: Hashable) -> tuple[Any, tuple[str, ...]]:
        if self.peek(kind, key) is not None:
            assert self.listener is not None  # a peek finds nothing without a live listener
            try:
                await self.listener.synced()
            except ListenerDown:
                pass  # nothing provable from memory: ask the database
            else:
                cached = self.peek(kind, key)  # the round trip may have evicted it
                if cached is not None:
                    self.hits += 1
                    return cached
        self.misses += 1
        outcome = await self._batches[kind].load(key)
        return outcome.result(), outcome.tags

    def peek(self, kind: str, key: Hashable) -> tuple[Any, tuple[str, ...]] | None:
        """What this process's cache holds for `key` of `kind`, without the sync round trip: not a
        read, since a change committed but not yet heard is missing from it. A held request uses it
        only to decide to go on waiting (a change it has not heard will wake it when heard, or the
        reconcile will), never to answer."""
        listener = self.listener
        if listener is None or not listener.live:
            return None
        cached = self.cache.get((kind, key))
        return None if cached is None else (cached, self.cache.tags((kind, key)))

    async def current_etags(self, keys: list[tuple[str, Hashable]]) -> dict[tuple[str, Hashable], str | None]:
        """The database's current ETag of each (kind, key), None where there is none: one statement
        per kind, whatever the cache holds (the watches' reconcile)."""
        async with self._database.lease(autocommit=True) as session:
            return await etags.current(session, keys)

    def _begin(self) -> Ticket:
        listener = self.listener
        live = listener is not None and listener.live
        return Ticket(self.cache.begin(), listener.epoch if listener is not None else -1, live)

    def _finisher(self, kind: str) -> Callable[[Ticket, dict[Any, Outcome]], None]:
        def finish(ticket: Ticket, outcomes: dict[Any, Outcome]) -> None:
            listener = self.listener
            try:
                if ticket.live and listener is not None and listener.live and listener.epoch == ticket.epoch:
                    for key, outcome in outcomes.items():
                        if outcome.value is not None:
                            self.cache.put((kind, key), outcome.value, outcome.tags, began=ticket.began)
            finally:
                self.cache.end(ticket.began)

        return finish

    def _abandon(self, ticket: Ticket) -> None:
        self.cache.end(ticket.began)

    def _notified(self, payload: str) -> None:
        tags = tags_of(payload)
        if tags is None:
            self._reset()
            return
        self.cache.invalidate(tags)
        for subscriber in self._subscribers:
            subscriber(tags)

    def _reset(self) -> None:
        self.cache.clear()
        for subscriber in self._subscribers:
            subscriber(None)
