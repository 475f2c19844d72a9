"""How long to wait before trying again after a failure: exponential, jittered, capped."""

import random
from collections.abc import Callable

CAP_SECONDS = 30.0


class Backoff:
    """Exponential backoff with "equal jitter": the n-th consecutive failure waits between half and all of
    min(cap, first * 2**n), so a fleet of clients that lost the service together does not come back
    in step, and no client waits longer than `cap`. A success resets it."""

    def __init__(
        self, *, first: float = 0.5, cap: float = CAP_SECONDS, uniform: Callable[[float, float], float] = random.uniform
    ) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0
        self._uniform = uniform

    def next_delay(self, *, at_least: float = 0.0) -> float:
        """The wait before the next try; `at_least` is what the service asked for (Retry-After)."""
        ceiling = min(self.cap, self.first * 2 ** min(self.failures, 32))
        self.failures += 1
        return min(self.cap, max(at_least, self._uniform(ceiling / 2, ceiling)))

    def reset(self) -> None:
        self.failures = 0
