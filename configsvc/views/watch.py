"""Held requests waiting for a resource to change: woken by the change notifications the read side
hears, and by a periodic reconcile with the database for whatever no notification announced.

A notification is only ever a hint: a woken request reads again (through the read side, so all the
requests woken by one change share one statement) and answers only if the ETag really moved. The
reconcile compares, in one statement per kind, the database's ETags with those the held requests
last saw: it catches a change made where no trigger announced it, or a notification lost in a way
the listener did not notice. Holding costs no database connection: a waiter is a future.
"""

import asyncio
import logging
from collections.abc import Hashable

from configsvc.errors import ServiceUnavailable
from configsvc.views.reader import Reader

log = logging.getLogger(__name__)


# How often held requests are compared with the database, for changes no notification announced
# (a held request then answers within this, plus a read, of such a change).
RECONCILE_SECONDS = 0.5


class TooManyHeld(ServiceUnavailable):
    """This process holds WATCH_MAX_HELD requests already: retry later (503, Retry-After)."""


class Waiter:
    """One held request. A wake-up is kept until it is waited for: a hint that comes while the
    request is reading is not lost."""

    __slots__ = ("_woken", "etag", "key", "kind", "tags")

    def __init__(self, kind: str, key: Hashable, etag: str | None, tags: tuple[str, ...]) -> None:
        self.kind = kind
        self.key = key
        self.etag = etag
        self.tags = tags
        self._woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def wake(self) -> None:
        if not self._woken.done():
            self._woken.set_result(None)


class Watches:
    def __init__(self, reader: Reader, *, max_held: int, reconcile_seconds: float = RECONCILE_SECONDS) -> None:
        self.max_held = max_held
        self.reconcile_seconds = reconcile_seconds
        self.closing = False
        self.wakeups = 0
        self._reader = reader
        self._waiters: set[Waiter] = set()
        self._by_tag: dict[str, set[Waiter]] = {}
        self._task: asyncio.Task[None] | None = None
        reader.subscribe(self._changed)

    @property
    def held(self) -> int:
        return len(self._waiters)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._reconcile_forever())

    async def stop(self) -> None:
        self.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def close(self) -> None:
        """Shutting down: every held request answers now, and none is held from here on."""
        self.closing = True
        for waiter in list(self._waiters):
            waiter.wake()

    def hold(self, kind: str, key: Hashable, etag: str | None, tags: tuple[str, ...]) -> Waiter:
        """Register a request that is to be held; `etag` None until its first read (see `check`)."""
        if len(self._waiters) >= self.max_held:
            raise TooManyHeld(f"this process already holds {self.max_held} watching requests; retry shortly")
        waiter = Waiter(kind, key, etag, tags)
        self._waiters.add(waiter)
        self._index(waiter)
        return waiter

    def seen(self, waiter: Waiter, etag: str, tags: tuple[str, ...]) -> None:
        """What the waiter's last read gave (its tags may move: a name may come to mean another)."""
        waiter.etag = etag
        if tags != waiter.tags:
            self._unindex(waiter)
            waiter.tags = tags
            self._index(waiter)

    def release(self, waiter: Waiter) -> None:
        self._waiters.discard(waiter)
        self._unindex(waiter)

    async def woken(self, waiter: Waiter, seconds: float) -> bool:
        """Wait up to `seconds` for a hint that the waiter's resource changed (or one that came since
        the last wait); False on time out."""
        if not waiter._woken.done():
            # asyncio.wait, not a timeout around the await: that would cancel the future.
            await asyncio.wait((waiter._woken,), timeout=seconds)
            if not waiter._woken.done():
                return False
        waiter._woken = asyncio.get_running_loop().create_future()
        self.wakeups += 1
        return True

    def _index(self, waiter: Waiter) -> None:
        for tag in waiter.tags:
            self._by_tag.setdefault(tag, set()).add(waiter)

    def _unindex(self, waiter: Waiter) -> None:
        for tag in waiter.tags:
            waiters = self._by_tag.get(tag)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._by_tag[tag]

    def _changed(self, tags: tuple[str, ...] | None) -> None:
        if tags is None:  # anything may have changed unheard (the listener reconnected)
            for waiter in list(self._waiters):
                waiter.wake()
            return
        for tag in tags:
            for waiter in list(self._by_tag.get(tag, ())):
                waiter.wake()

    async def reconcile(self) -> int:
        """Wake every waiter whose resource's ETag in the database is not the one it last saw (after
        evicting that resource from the cache, which missed the change too); how many were woken."""
        waiters = list(self._waiters)
        if not waiters:
            return 0
        current = await self._reader.current_etags(sorted({(w.kind, w.key) for w in waiters}, key=repr))
        stale = [w for w in waiters if w.etag is not None and current.get((w.kind, w.key)) != w.etag]
        if stale:
            self._reader.cache.invalidate(sorted({tag for w in stale for tag in w.tags}))
            for waiter in stale:
                waiter.wake()
        return len(stale)

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_seconds)
            try:
                woken = await self.reconcile()
            except ServiceUnavailable as error:
                log.debug("watch reconcile skipped: %s", error)
                continue
            if woken:
                log.info("watch reconcile found %d change(s) no notification announced", woken)
