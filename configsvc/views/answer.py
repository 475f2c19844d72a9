"""What a view answers for one key: a representation or page, or the NotFound to raise, with the
tags (`tags.py`) whose changes make it stale."""

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

from configsvc.errors import NotFound
from configsvc.representations import Page, Representation


class Sized(Protocol):
    @property
    def size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Part:
    """What the cache keeps of an answer that is assembled from parts on a hit (`ReadKind.assemble`)
    instead of the answer itself: `kind` "" for the answer's own key (its outline), else the name
    of one of its kind's `parts`."""

    kind: str
    key: Hashable
    value: Sized
    tags: tuple[str, ...]


# Not frozen: every cached read makes one per key, and a frozen dataclass's __init__ costs four
# times a plain one's (0.68 against 0.16 us). Nothing changes an Answer once made.
@dataclass(slots=True)
class Answer:
    value: Representation | Page | None
    tags: tuple[str, ...]
    missing: NotFound | None = None
    parts: tuple[Part, ...] | None = None  # kept instead of the value (`Part`)

    @classmethod
    def found(cls, value: Representation | Page, *tags: str) -> "Answer":
        return cls(value, tags)

    @classmethod
    def not_found(cls, message: str, *tags: str) -> "Answer":
        return cls(None, tags, NotFound(message))

    def result(self) -> Representation | Page:
        """The value, or the NotFound raised (a fresh one: an exception object is not shared)."""
        if self.missing is not None:
            raise NotFound(self.missing.message)
        assert self.value is not None
        return self.value
