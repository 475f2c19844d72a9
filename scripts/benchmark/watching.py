"""The watch scenario of `make bench`: many held requests, a writer, and how soon they answer.

Each watcher is one HTTP/1.1 connection that asks `GET <configuration>` with If-None-Match and
`Prefer: wait=N`, and asks again (with the new ETag) as soon as it is answered, as a client that
follows its configuration would. A writer PUTs configurations one at a time; the delay measured
is from the moment the writer has its 2xx to the moment a held response with the new ETag arrives.
"""

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field

# The held requests' own limit: longer than any measurement, shorter than the service's cap.
WAIT_SECONDS = 45


@dataclass
class Arrivals:
    """When each (path, ETag) was first answered to a watcher, per watcher."""

    by_change: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    answered: int = 0
    errors: int = 0

    def record(self, path: str, etag: str, at: float) -> None:
        self.by_change.setdefault((path, etag), []).append(at)
        self.answered += 1


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length:
        await reader.readexactly(length)
    return status, headers


def _request(path: str, etag: str | None, wait: int | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: bench"]
    if etag is not None:
        lines.append(f"If-None-Match: {etag}")
    if wait is not None:
        lines.append(f"Prefer: wait={wait}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Watchers:
    """`count` watchers over `paths` (round robin) against host:port, until stop()."""

    def __init__(self, host: str, port: int, paths: list[str], count: int) -> None:
        self.arrivals = Arrivals()
        self.held = 0
        self._host, self._port = host, port
        self._paths = paths
        self._count = count
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._all_sent = asyncio.Event()

    async def start(self, *, connect_batch: int = 200) -> None:
        for start in range(0, self._count, connect_batch):
            batch = [
                asyncio.ensure_future(self._watch(self._paths[n % len(self._paths)]))
                for n in range(start, min(self._count, start + connect_batch))
            ]
            self._tasks += batch
            await asyncio.sleep(0.05)  # connect in waves: the backlog is finite

    async def wait_held(self, seconds: float = 60) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._all_sent.wait()
        await asyncio.sleep(0.5)  # the last ones read and held by the service
        return self.held >= self._count

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _watch(self, path: str) -> None:
        try:
            reader, writer = await asyncio.open_connection(self._host, self._port)
        except OSError:
            self.arrivals.errors += 1
            return
        try:
            writer.write(_request(path, None, None))
            status, headers = await _response(reader)
            etag = headers.get("etag")
            while not self._stopping:
                writer.write(_request(path, etag, WAIT_SECONDS))
                self.held += 1
                if self.held >= self._count:
                    self._all_sent.set()
                status, headers = await _response(reader)
                self.held -= 1
                if status == 200 and headers.get("etag") != etag:
                    etag = headers["etag"]
                    self.arrivals.record(path, etag, time.monotonic())
                elif status != 304:
                    self.arrivals.errors += 1
                    await asyncio.sleep(0.1)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            if not self._stopping:
                self.arrivals.errors += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


@dataclass(frozen=True)
class Delays:
    writes: int
    answered: int  # held responses that carried a written ETag
    expected: int  # watchers that should have been answered
    median_ms: float
    p99_ms: float
    errors: int


async def put(host: str, port: int, path: str, body: bytes) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"PUT {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        status, headers = await _response(reader)
        return status, headers.get("etag", "")
    finally:
        writer.close()


async def measure_delays(
    host: str, port: int, watchers: Watchers, paths: list[str], bodies: dict[str, bytes], *, writes: int, gap: float
) -> Delays:
    """PUT `writes` times (one path after another, `gap` seconds apart); for every watcher of the
    written path, the delay from the PUT's 2xx to its held response with the new ETag (below zero
    when the held response was read first: the service may send it before the PUT's own)."""
    acknowledged: list[tuple[str, str, float]] = []
    watchers_per_path = max(1, watchers._count // len(paths))
    errors = 0
    for n in range(writes):
        path = paths[n % len(paths)]
        status, etag = await put(host, port, path, bodies[path])
        at = time.monotonic()
        if status == 200:
            acknowledged.append((path, etag, at))
        else:
            errors += 1
        await asyncio.sleep(gap)
    await asyncio.sleep(1.0)  # late arrivals, if any, still count
    delays = [
        (arrived - at) * 1000
        for path, etag, at in acknowledged
        for arrived in watchers.arrivals.by_change.get((path, etag), [])
    ]
    expected = len(acknowledged) * watchers_per_path
    return _delays(delays, writes=len(acknowledged), expected=expected, errors=errors + watchers.arrivals.errors)


@dataclass(frozen=True)
class WatchReport:
    held: int
    delays: Delays
    lost_notification: Delays  # writes no trigger announced: found by the reconcile
    rss_idle_mb: list[float]
    rss_held_mb: list[float]

    def lines(self) -> list[str]:
        d, lost = self.delays, self.lost_notification
        return [
            f"watch: {self.held:,} held requests over both workers; from a PUT's 2xx to the held response: "
            f"median {d.median_ms:.1f} ms, p99 {d.p99_ms:.1f} ms "
            f"({d.answered}/{d.expected} answered, {d.errors} errors)",
            f"watch: a change no notification announced (SQL with triggers off), answered by the reconcile: "
            f"median {lost.median_ms:.0f} ms, p99 {lost.p99_ms:.0f} ms ({lost.answered}/{lost.expected})",
            f"watch: worker RSS (MB) idle {self.rss_idle_mb}, with all held {self.rss_held_mb}",
        ]


async def sql_writes(url: str, paths: list[str], *, writes: int, gap: float, watchers: Watchers) -> Delays:
    """Writes made as if their notification were lost: by SQL with triggers skipped (replica mode)."""
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    acknowledged = []
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            for n in range(writes):
                path = paths[n % len(paths)]
                cursor.execute(
                    "UPDATE configurations SET version = version + 1 WHERE id = %s RETURNING version",
                    (path.rsplit("/", 1)[1],),
                )
                (version,) = cursor.fetchone()
                acknowledged.append((path, f'"{version}"', time.monotonic()))
                await asyncio.sleep(gap)
    finally:
        conn.close()
    await asyncio.sleep(1.5)
    delays = [
        (a - at) * 1000 for path, etag, at in acknowledged for a in watchers.arrivals.by_change.get((path, etag), [])
    ]
    return _delays(delays, writes=len(acknowledged), expected=len(acknowledged), errors=0)


def _delays(delays: list[float], *, writes: int, expected: int, errors: int) -> Delays:
    quantiles = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else [0.0] * 99
    median = statistics.median(delays) if delays else 0.0
    return Delays(writes, len(delays), expected, median, quantiles[98], errors)
