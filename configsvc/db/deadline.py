"""One budget of time for all of a read's waits on the database, whatever it waits on.

A read may wait on the listener's round trip, then on a batch's statement, which other reads share
and which may wait for a pooled connection: each wait has its own timeout, and one after another
they could add up to several times DB_STATEMENT_TIMEOUT_MS. `bounded` gives the read one deadline,
carried in a context variable to every wait that `timeout` guards. (A lease bounds the waits of its
own session the same way: `Session.deadline`.)
"""

import asyncio
from contextvars import ContextVar, Token
from types import TracebackType

_deadline: ContextVar[float | None] = ContextVar("configsvc_database_deadline", default=None)


class bounded:  # lower case: used as the function it was, `with deadline.bounded(seconds):`
    """Every wait under `timeout` inside ends within `seconds` from now (or an enclosing deadline).
    A class, not a generator: every read enters one, and @contextmanager costs several times more."""

    __slots__ = ("_seconds", "_token")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._token: Token[float | None] | None = None

    def __enter__(self) -> None:
        when = asyncio.get_running_loop().time() + self._seconds
        enclosing = _deadline.get()
        self._token = _deadline.set(when if enclosing is None or when < enclosing else enclosing)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        assert self._token is not None
        _deadline.reset(self._token)


def at() -> float | None:
    """The deadline in force (the event loop's clock), or None."""
    return _deadline.get()


def timeout(seconds: float | None = None) -> asyncio.Timeout:
    """asyncio.timeout(seconds) (None: no timeout of its own), cut short by the deadline in force."""
    when = None if seconds is None else asyncio.get_running_loop().time() + seconds
    deadline = _deadline.get()
    if deadline is not None:
        when = deadline if when is None else min(when, deadline)
    return asyncio.timeout_at(when)
