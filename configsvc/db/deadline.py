"""One budget of time for all of a read's waits on the database, whatever it waits on.

A read may wait on the listener's round trip, then on a batch's statement, which other reads share
and which may wait for a pooled connection: each wait has its own timeout, and one after another
they could add up to several times DB_STATEMENT_TIMEOUT_MS. `bounded` gives the read one deadline,
carried in a context variable to every wait that `timeout` guards. (A lease bounds the waits of its
own session the same way: `Session.deadline`.)
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("configsvc_database_deadline", default=None)


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Every wait under `timeout` inside ends within `seconds` from now (or an enclosing deadline)."""
    when = asyncio.get_running_loop().time() + seconds
    enclosing = _deadline.get()
    token = _deadline.set(when if enclosing is None else min(when, enclosing))
    try:
        yield
    finally:
        _deadline.reset(token)


def timeout(seconds: float | None = None) -> asyncio.Timeout:
    """asyncio.timeout(seconds) (None: no timeout of its own), cut short by the deadline in force."""
    when = None if seconds is None else asyncio.get_running_loop().time() + seconds
    deadline = _deadline.get()
    if deadline is not None:
        when = deadline if when is None else min(when, deadline)
    return asyncio.timeout_at(when)
