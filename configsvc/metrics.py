"""Prometheus metrics, right under several worker processes (prometheus-client's multiprocess mode).

`make serve` gives its workers one fresh directory for the run (PROMETHEUS_MULTIPROC_DIR, see
`server.py`); every worker writes its values there, and whichever answers a scrape sums them all.
Without that directory (`make run`, tests) the values stay in the process.

A request's duration is kept in plain Python and written to the histogram at the end of the
event-loop turn, once for all the requests that finished in it: in multiprocess mode every
increment costs a lock, a getpid() and an mmap write, and an observation takes two. The pool's and
the watches' state is sampled once a second rather than on every lease.
"""

import asyncio
import glob
import os
import re
from bisect import bisect_left
from collections.abc import Callable, Hashable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"
SAMPLE_SECONDS = 1.0
_PID_FILE = re.compile(r"_(\d+)\.db$")


def multiprocess_directory() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def outcome(status: int) -> str | None:
    if 200 <= status < 300:
        return "committed"
    if status in (409, 412):
        return "conflict"
    if 400 <= status < 500:
        return "rejected"
    return None  # a 5xx wrote nothing the client can rely on; the request metrics show it


class Metrics:
    """The service's metrics, registered in a registry of their own (one per app: tests build many)."""

    def __init__(self, *, version: str, schema_version: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Histogram(
            "http_server_request_duration_seconds",
            "Time from a request's arrival to its response's end, by route template.",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=r,
        )
        self.pool = Gauge(
            "configsvc_db_pool_connections",
            "Pooled database connections: in_use (leased), idle (open, not leased); sampled each second.",
            ["state"],
            multiprocess_mode="livesum",
            registry=r,
        )
        self.pool_wait = Histogram(
            "configsvc_db_pool_wait_seconds",
            "How long leases waited for a pooled connection.",
            buckets=BUCKETS,
            registry=r,
        )
        self.writes = Counter(
            "configsvc_writes_total",
            "Writes by resource, operation and outcome (committed, conflict, rejected).",
            ["resource", "operation", "outcome"],
            registry=r,
        )
        self.watch_held = Gauge(
            "configsvc_watch_held",
            "Requests held waiting for a change; sampled each second.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.watch_wakeups = Counter(
            "configsvc_watch_wakeups_total",
            "Held requests woken by a change (or a reconcile, or a reconnect).",
            registry=r,
        )
        build = Gauge(
            "configsvc_build_info", "1, labelled with the version and the schema version (latest migration).",
            ["version", "schema_version"], multiprocess_mode="livemax", registry=r,
        )  # fmt: skip
        build.labels(version, schema_version).set(1)
        self._children: dict[Hashable, Any] = {}
        self._pending: dict[tuple[str, str, int, tuple[str, str] | None], list[float]] = {}
        self._flush_scheduled = False
        self._wakeups_seen = 0

    def observe_request(
        self, method: str, route: str, status: int, seconds: float, *, write: tuple[str, str] | None = None
    ) -> None:
        """Count a finished request (with `write`, the (resource, operation) of the write it was):
        written out at the end of this event-loop turn (at once without a running loop), and by
        `render` before it reads."""
        key = (method, route, status, write)
        pending = self._pending.get(key)
        if pending is None:
            self._pending[key] = [seconds]
        else:
            pending.append(seconds)
        if not self._flush_scheduled:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self.flush()
            else:
                self._flush_scheduled = True

    def flush(self) -> None:
        """Write the requests observed since the last flush to the metrics."""
        self._flush_scheduled = False
        pending, self._pending = self._pending, {}
        for key, durations in pending.items():
            method, route, status, write = key
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = self.requests.labels(method, route, str(status))
            _observe_all(child, durations)
            if write is not None and (result := outcome(status)) is not None:
                self.writes.labels(*write, result).inc(len(durations))

    def sample(self, *, in_use: int, idle: int, held: int, wakeups: int) -> None:
        self.pool.labels("in_use").set(in_use)
        self.pool.labels("idle").set(idle)
        self.watch_held.set(held)
        if wakeups > self._wakeups_seen:
            self.watch_wakeups.inc(wakeups - self._wakeups_seen)
        self._wakeups_seen = wakeups

    async def sample_forever(self, read: Callable[[], dict[str, int]]) -> None:
        while True:
            self.sample(**read())
            await asyncio.sleep(SAMPLE_SECONDS)

    def render(self) -> bytes:
        """The text exposition: summed over every worker (the live ones, for gauges) in multiprocess
        mode, this process's values otherwise."""
        self.flush()
        directory = multiprocess_directory()
        if directory is None:
            return generate_latest(self.registry)
        forget_dead_processes(directory)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)


def _observe_all(histogram: Any, durations: list[float]) -> None:
    """`histogram.observe(d)` for each of `durations`, with one increment per bucket touched and one
    for the sum. prometheus-client has no public call for that: this reads the child's `_sum` and
    `_buckets` and `_upper_bounds` (pinned in uv.lock; metrics_test.py checks the exposition)."""
    bounds = histogram._upper_bounds
    counts = [0] * len(bounds)
    for seconds in durations:
        counts[bisect_left(bounds, seconds)] += 1  # the first bound >= seconds, as observe() picks
    histogram._sum.inc(sum(durations))
    for index, count in enumerate(counts):
        if count:
            histogram._buckets[index].inc(count)


def forget_dead_processes(directory: str) -> None:
    """Drop the live-only gauges of processes that are gone (a worker restarted, or killed)."""
    pids = {int(m.group(1)) for path in glob.glob(os.path.join(directory, "*.db")) if (m := _PID_FILE.search(path))}
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:
            pass  # alive, another user's


def prepare_multiprocess_directory(directory: str) -> None:
    """A run's directory starts empty: values of an earlier run must not be summed into this one."""
    os.makedirs(directory, exist_ok=True)
    for path in glob.glob(os.path.join(directory, "*.db")):
        os.remove(path)
