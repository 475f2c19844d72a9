"""Rendered read results, kept until a change to one of their tags: bounded, least recently used first.

This is the read side's one freshness guard. An entry may only be stored by a fetch if none of its
tags changed since that fetch began (its statement was sent), and if the cache was not cleared since
(the listener reconnected, so changes may have gone unheard): a change the fetch may not have seen
must not be kept past its notification. Every invalidation stamps its tags with the clock;
`fetching()` gives a fetch the clock it starts at, `Fetch.keep` compares, and stamps older than every
open fetch are dropped.

What it holds is meant to be out of the garbage collector's sight: keys and values given as tuples
of plain values (`ReadKind.cached_as`, `ReadKind.kept`), and dicts of them, which the collector
stops tracking, so that a full collection's pause does not grow with the entries held.
"""

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

# What an entry costs beyond its body: the key, the tuple, the dict slots (measured roughly).
ENTRY_OVERHEAD_BYTES = 400


class ReadCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.clock = 0
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[Any, tuple[str, ...], int]] = OrderedDict()
        # tag -> its entries' keys (a dict, not a set: a dict of untracked keys is untracked too)
        self._by_tag: dict[str, dict[Hashable, None]] = {}
        self._stamps: dict[str, int] = {}  # tag -> clock of its last change, oldest first
        self._cleared_at = 0
        self._open: dict[int, int] = {}  # clock a fetch began at -> fetches still open, oldest first
        self._read: dict[Hashable, float] = {}  # entry -> when it was last read (time.monotonic)
        self._reread: dict[Hashable, float] = {}  # being read again after a change: when last read

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def remembered_changes(self) -> int:
        """Tags whose last change an open fetch may still need to know of."""
        return len(self._stamps)

    def __contains__(self, key: Hashable) -> bool:
        """Whether `key` is held (not a read of it: nothing is marked recently used)."""
        return key in self._entries

    def get(self, key: Hashable) -> Any:
        """`key`'s value, not counted as a read of it."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def entry(self, key: Hashable, now: float) -> tuple[Any, tuple[str, ...], int] | None:
        """`key`'s value, tags and size, in one look-up (the hot read's), marked recently used and
        read at `now`."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        self._read[key] = now
        return entry

    def values(self, keys: Iterable[Hashable], now: float) -> list[Any] | None:
        """Every one of `keys`' values, each marked as `entry` marks it; None if one is not held."""
        entries, read, used = self._entries, self._read, self._entries.move_to_end
        found = []
        for key in keys:
            entry = entries.get(key)
            if entry is None:
                return None
            used(key)
            read[key] = now
            found.append(entry[0])
        return found

    def read_at(self, key: Hashable, now: float) -> None:
        """`key`, if held, was read at `now` (a read the database answered: it is in use too)."""
        if key in self._entries:
            self._read[key] = now

    @contextmanager
    def reading_again(self, last_read: Mapping[Hashable, float]) -> Iterator[None]:
        """Around a refresh of entries a change evicted (`last_read`: when each was last read): what
        it stores keeps that time, so that it is read again after the next change too while it is
        still in use, even if nobody read it in between."""
        self._reread.update(last_read)
        try:
            yield
        finally:
            for key in last_read:
                self._reread.pop(key, None)

    def tags(self, key: Hashable) -> tuple[str, ...]:
        entry = self._entries.get(key)
        return () if entry is None else entry[1]

    @contextmanager
    def fetching(self) -> Iterator["Fetch"]:
        """Around a fetch, from just before its statement is sent: what it keeps, it keeps only if
        nothing it depends on changed meanwhile."""
        began = self._begin()
        try:
            yield Fetch(self, began)
        finally:
            self._end(began)

    def _begin(self) -> int:
        self._open[self.clock] = self._open.get(self.clock, 0) + 1
        return self.clock

    def _end(self, began: int) -> None:
        left = self._open[began] - 1
        if left:
            self._open[began] = left
        else:
            del self._open[began]
        oldest = next(iter(self._open), self.clock)
        while self._stamps:
            tag, stamp = next(iter(self._stamps.items()))
            if stamp > oldest:
                break
            del self._stamps[tag]

    def put(self, key: Hashable, value: Any, tags: tuple[str, ...], size: int, *, began: int) -> bool:
        """Keep `value` (counted as `size` bytes) unless one of its tags changed after `began` (then the
        fetch may be stale)."""
        if began < self._cleared_at or any(self._stamps.get(tag, -1) > began for tag in tags):
            return False
        size += ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes:
            return False
        self._discard(key)
        self._entries[key] = (value, tags, size)
        self.bytes += size
        last_read = self._reread.pop(key, None) if self._reread else None
        if last_read is not None:
            self._read[key] = last_read
        for tag in tags:
            self._by_tag.setdefault(tag, {})[key] = None
        while self.bytes > self.max_bytes:
            self._discard(next(iter(self._entries)))
        return True

    def invalidate(self, tags: Iterable[str]) -> list[tuple[Hashable, float]]:
        """Evict what depends on `tags`; the evicted entries that were ever read, each with when it
        last was (the reader reads again at once those in use)."""
        self.clock += 1
        read = []
        for tag in tags:
            self._stamps.pop(tag, None)
            self._stamps[tag] = self.clock
            for key in self._by_tag.pop(tag, ()):
                last_read = self._read.get(key)
                if last_read is not None:
                    read.append((key, last_read))
                self._discard(key)
        return read

    def clear(self) -> None:
        self.clock += 1
        self._cleared_at = self.clock
        self._entries.clear()
        self._read.clear()
        self._by_tag.clear()
        self._stamps.clear()
        self.bytes = 0

    def _discard(self, key: Hashable) -> None:
        self._read.pop(key, None)
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        _, tags, size = entry
        self.bytes -= size
        for tag in tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del self._by_tag[tag]


class Fetch:
    __slots__ = ("_began", "_cache")

    def __init__(self, cache: ReadCache, began: int) -> None:
        self._cache = cache
        self._began = began

    def keep(self, key: Hashable, value: Any, tags: tuple[str, ...], size: int) -> bool:
        """Store `value` unless one of its tags changed since the fetch began; whether it was."""
        return self._cache.put(key, value, tags, size, began=self._began)
