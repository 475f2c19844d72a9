"""`make bench-client` (`python -m scripts.benchmark.client`): the client library's and the CLI's
figures (issues 28 and 29), on an embedded PostgreSQL 16 of its own and `make serve` services.

1. Watch delay: one configuration followed at once by three watchers, each in a process of its
   own: raw held requests (the bench's own HTTP/1.1 loop, `watching.Watchers`), `Client.watch` and
   `AsyncClient.watch`. A writer PUTs `changes` new versions, one at a time; for each, the delay
   from the writer's 2xx to each watcher having it (time.monotonic is one clock for every process).
2. A cached `get` with the service down: `Client(cache_dir=...).get` against a closed port, after
   one fresh read filled the cache; the whole call, refused connection included.
3. `configsvc export` of the bench's data set (1,000 applications, 10,000 configurations), `import`
   into an empty service, `export` again: the time and peak RSS of each command (wait4's rusage),
   and whether the two documents agree apart from ids and timestamps.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import httpx
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from configsvc import migrations
from configsvc.embedded_postgres import embedded_postgres
from scripts.benchmark.service import BenchSettings, _admin, prepare_database, start_service
from scripts.ports import free_port

HOST = "127.0.0.1"
CONFIGSVC = str(Path(sys.executable).parent / "configsvc")


@dataclass(frozen=True)
class Quantiles:
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, milliseconds: list[float]) -> "Quantiles":
        ordered = sorted(milliseconds)
        p99 = statistics.quantiles(ordered, n=100, method="inclusive")[98] if len(ordered) > 1 else ordered[0]
        return cls(len(ordered), round(statistics.median(ordered), 3), round(p99, 3), round(ordered[-1], 3))


@dataclass(frozen=True)
class Command:
    seconds: float
    peak_rss_mb: float


# --- 1. watch delay -------------------------------------------------------------------------------


def watcher(kind: str, url: str, application: str, name: str, last_version: int) -> None:
    """A watcher process: prints "ready" once it has the first version, then {etag: monotonic
    arrival} as JSON once it has `last_version`."""
    arrivals: dict[str, float] = {}
    last = f'"{last_version}"'

    def arrived(etag: str) -> None:
        arrivals[etag] = time.monotonic()
        if len(arrivals) == 1:
            print("ready", flush=True)

    if kind == "sync":
        from configsvc_client import Client

        with Client(url) as client:
            for snapshot in client.watch(application, name):
                arrived(snapshot.etag)
                if snapshot.etag == last:
                    break
    elif kind == "async":
        from configsvc_client import AsyncClient

        async def follow() -> None:
            async with AsyncClient(url) as client:
                async for snapshot in client.watch(application, name):
                    arrived(snapshot.etag)
                    if snapshot.etag == last:
                        break

        asyncio.run(follow())
    else:
        from urllib.parse import urlencode

        from scripts.benchmark.watching import Watchers

        path = "/api/v1/configurations/by-name?" + urlencode({"application": application, "name": name})

        async def follow() -> None:
            port = int(url.rsplit(":", 1)[1])
            watchers = Watchers(HOST, port, [path], 1)
            await watchers.start()
            await watchers.wait_held(30)
            print("ready", flush=True)
            # Polling only decides when to stop: Watchers stamps each arrival itself as it reads it.
            while (path, last) not in watchers.arrivals.by_change:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            await watchers.stop()
            arrivals.update({etag: times[0] for (_, etag), times in watchers.arrivals.by_change.items()})

        asyncio.run(follow())
    print(json.dumps(arrivals), flush=True)


def watch_delays(url: str, changes: int, gap: float) -> dict[str, Quantiles | float]:
    application, name = "bench-client", "watched"
    with httpx.Client(base_url=url, timeout=30) as http:
        created = http.post("/api/v1/applications", json={"name": application}).json()
        body = {"application_id": created["id"], "name": name, "config": {"n": 0}}
        configuration = http.post("/api/v1/configurations", json=body).json()
        path = f"/api/v1/configurations/{configuration['id']}"
        last = 1 + changes
        kinds = ("raw", "sync", "async")
        processes = {
            kind: subprocess.Popen(
                [sys.executable, "-m", "scripts.benchmark.client", "watcher", kind, url, application, name, str(last)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for kind in kinds
        }
        for process in processes.values():  # each has read version 1 and asks again, held
            assert process.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        acknowledged: dict[str, float] = {}
        for n in range(1, changes + 1):
            response = http.put(path, json={"name": name, "config": {"n": n}})
            acknowledged[response.headers["ETag"]] = time.monotonic()
            time.sleep(gap)
        arrivals = {kind: json.loads(process.communicate(timeout=60)[0]) for kind, process in processes.items()}
    delays = {kind: [(arrivals[kind][etag] - at) * 1000 for etag, at in acknowledged.items()] for kind in kinds}
    missing = {kind: changes - len(values) for kind, values in delays.items()}
    assert not any(missing.values()), f"watchers missed changes: {missing}"
    paired = {
        kind: [(arrivals[kind][e] - arrivals["raw"][e]) * 1000 for e in acknowledged] for kind in ("sync", "async")
    }
    return {
        **{kind: Quantiles.of(values) for kind, values in delays.items()},
        **{f"{kind}_minus_raw": Quantiles.of(values) for kind, values in paired.items()},
    }


# --- 2. cached get, service down ------------------------------------------------------------------


def cached_get(url: str, cache_dir: Path, reads: int) -> Quantiles:
    import logging

    from configsvc_client import Client

    with Client(url, cache_dir=cache_dir) as client:
        client.put("bench-client", "cached", {"key": "value", "n": list(range(10))})
        client.get("bench-client", "cached")
    # The WARNING each stale answer logs is made (its cost counts) but not written to a terminal;
    # the logger is put back as it was (the bench's test runs in the test suite's process).
    logger = logging.getLogger("configsvc_client")
    quiet, propagating = logging.NullHandler(), logger.propagate
    logger.addHandler(quiet)
    logger.propagate = False
    down = f"http://{HOST}:{free_port()}"
    timings = []
    try:
        with Client(down, cache_dir=cache_dir) as client:
            for _ in range(reads):
                started = time.perf_counter()
                snapshot = client.get("bench-client", "cached")
                timings.append((time.perf_counter() - started) * 1000)
                assert snapshot.source == "cache"
    finally:
        logger.removeHandler(quiet)
        logger.propagate = propagating
    return Quantiles.of(timings)


# --- 3. export -> import round trip ---------------------------------------------------------------


def timed(args: list[str], *, stdout=None) -> Command:
    """Run `configsvc ARGS`; its wall time and peak RSS (from wait4, so of that process alone)."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as messages:
        process = subprocess.Popen([CONFIGSVC, *args], stdout=stdout or subprocess.DEVNULL, stderr=messages)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            messages.seek(0)
            raise SystemExit(
                f"bench-client: configsvc {' '.join(args)} exited with {process.returncode}: {messages.read()}"
            )
    return Command(round(seconds, 2), round(usage.ru_maxrss / 1024, 1))


def without_ids_and_timestamps(path: Path) -> dict:
    document = json.loads(path.read_text())
    document.pop("exported_at")
    for section in ("applications", "configurations"):
        for item in document[section]:
            for key in ("id", "created_at", "updated_at"):
                item.pop(key)
    return document


def round_trip(source_url: str, target_url: str, work: Path) -> dict:
    first, second = work / "export.json", work / "export-again.json"
    with first.open("w") as out:
        exported = timed(["export", "--url", source_url], stdout=out)
    imported = timed(["import", str(first), "--url", target_url])
    reimported = timed(["import", str(first), "--url", target_url])
    with second.open("w") as out:
        timed(["export", "--url", target_url], stdout=out)
    same = without_ids_and_timestamps(first) == without_ids_and_timestamps(second)
    return {
        "export": asdict(exported),
        "import": asdict(imported),
        "import_again": asdict(reimported),
        "bytes": first.stat().st_size,
        "identical_apart_from_ids_and_timestamps": same,
    }


def empty_database(server_url: str, name: str) -> str:
    _admin(server_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    _admin(server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_dsn(server_url, dbname=name)
    migrations.apply(url)
    return url


def run(server_url: str, settings: BenchSettings, changes: int, work: Path) -> dict:
    """Every measurement on the PostgreSQL at `server_url` (its own databases); returns the report."""
    source_db = prepare_database(server_url, settings)  # the bench's data set
    target_db = empty_database(server_url, "configsvc_bench_import")
    ports = free_port(), free_port()
    services = [start_service(source_db, settings, ports[0]), start_service(target_db, settings, ports[1])]
    source, target = (f"http://{HOST}:{port}" for port in ports)
    try:
        _wait_ready(source)
        _wait_ready(target)
        # The round trip first, while the target is empty; then the rest on the loaded service.
        report = {"round_trip": round_trip(source, target, work) if settings.configurations else {}}
        report["watch"] = watch_delays(source, changes, gap=0.02)
        report["cached_get"] = cached_get(source, work / "cache", reads=1000)
    finally:
        for service in services:
            service.terminate()
            service.wait(30)
    return json.loads(json.dumps(report, default=asdict))


def _wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench-client: {url} not ready")


def lines(report: dict, settings: BenchSettings, changes: int) -> list[str]:
    watch, cached, trip = report["watch"], report["cached_get"], report["round_trip"]
    out = [f"watch: from a PUT's 2xx to the watcher having the version, {changes} changes, each watcher a process:"]
    for kind, title in (("raw", "raw held requests"), ("sync", "Client.watch"), ("async", "AsyncClient.watch")):
        q = watch[kind]
        out.append(f"  {title:<20} p50 {q['p50_ms']:7.2f} ms  p99 {q['p99_ms']:7.2f} ms  max {q['max_ms']:7.2f} ms")
    for kind in ("sync", "async"):
        q = watch[f"{kind}_minus_raw"]
        out.append(
            f"  {kind} minus raw, per change: p50 {q['p50_ms']:+.2f} ms, p99 {q['p99_ms']:+.2f} ms "
            f"(p99 of the library {watch[kind]['p99_ms'] - watch['raw']['p99_ms']:+.2f} ms over raw's; target ≤ 2 ms)"
        )
    out.append(
        f"cached get, service down (refused): p50 {cached['p50_ms']:.3f} ms, p99 {cached['p99_ms']:.3f} ms, "
        f"max {cached['max_ms']:.3f} ms over {cached['count']} reads (target ≤ 5 ms)"
    )
    if trip:
        out.append(
            f"export -> empty service -> import, {settings.applications:,} applications, "
            f"{settings.configurations:,} configurations ({trip['bytes'] / 1e6:.1f} MB): "
            f"export {trip['export']['seconds']} s, peak RSS {trip['export']['peak_rss_mb']} MB; "
            f"import {trip['import']['seconds']} s, peak RSS {trip['import']['peak_rss_mb']} MB; "
            f"import again (nothing to write) {trip['import_again']['seconds']} s; "
            f"same document apart from ids and timestamps: {trip['identical_apart_from_ids_and_timestamps']}"
        )
    return out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "watcher":
        kind, url, application, name, last = sys.argv[2:7]
        watcher(kind, url, application, name, int(last))
        return 0
    settings = BenchSettings.from_environment()
    changes = int(os.environ.get("BENCH_CLIENT_CHANGES", "300"))
    out_dir = settings.data_dir / "bench-client"
    out_dir.mkdir(parents=True, exist_ok=True)
    with embedded_postgres(out_dir / "database") as server_url, tempfile.TemporaryDirectory() as work:
        report = run(server_url, settings, changes, Path(work))
    for line in lines(report, settings, changes):
        print(line)
    report["settings"] = asdict(replace(settings, data_dir=Path(str(settings.data_dir)))) | {"changes": changes}
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
