"""The steps the client's core asks its shells to carry out: the core is written as generators
that yield these and never touch a socket, a clock or a file (the "sans-I/O" shape of h11 and
httpcore), so `Client` and `AsyncClient` share every rule and differ only in how they perform them.

A plan yields:
- an `httpx.Request`: the shell sends it and sends back the `httpx.Response` (body read), or throws
  the `httpx.TransportError` it met into the plan;
- `Sleep`: the shell waits (and stops at once if the client is closed meanwhile);
- `Store`, `Load`, `Drop`: the shell's last-known-good cache (none configured: nothing stored,
  nothing loaded);
- `Emit`: only from a plan behind an iterator (watch, listings): the shell hands the value to the
  caller's loop.
A plan's return value is the method's result; what it raises is the method's error.
"""

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from configsvc_client.models import Snapshot

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Store:
    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class Load:
    """Answered with the cached Snapshot, or None."""

    application: str
    name: str


@dataclass(frozen=True, slots=True)
class Drop:
    application: str
    name: str


@dataclass(frozen=True, slots=True)
class Emit:
    value: Any


Step = httpx.Request | Sleep | Store | Load | Drop | Emit
Plan = Generator[Step, Any, T]


def drive(plan: Plan[T], perform: Callable[[Step], Any]) -> T:
    """Run a plan to its result, performing each step with `perform` (which returns what the plan
    is sent back, or raises the `httpx.TransportError` the plan is to see); the blocking shell's
    loop, and the one the core's tests drive plans with."""
    try:
        step = next(plan)
        while True:
            if isinstance(step, Emit):
                raise TypeError("a plan that emits values is iterated, not run as a call")
            try:
                outcome = perform(step)
            except httpx.TransportError as error:
                step = plan.throw(error)
                continue
            step = plan.send(outcome)
    except StopIteration as done:
        return done.value
    finally:
        plan.close()
