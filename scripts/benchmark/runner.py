"""`make bench`: the service in serve mode against an embedded PostgreSQL 16, measured with wrk,
interleaved round by round (A B A B ...) with its baselines: the no-database ceiling (/healthz
through the same stack) and etcd, the peer a user would pick instead, holding the same documents."""

import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from configsvc import migrations
from configsvc.embedded_postgres import embedded_postgres
from configsvc.representations import CONFIGURATION_FIELDS, one
from scripts.benchmark import watch_scenario
from scripts.benchmark.etcd import Etcd, require_etcd
from scripts.benchmark.processes import worker_memory_mb
from scripts.benchmark.report import format_table, summarise
from scripts.benchmark.tools import Measurement, require_wrk, run_wrk
from scripts.benchmark.workloads import CEILING, LOAD_DATA, Scenario, etcd_put, etcd_range, lua_script, scenarios
from scripts.ports import free_port

DATABASE = "configsvc_bench"
# The documents etcd holds: each configuration's representation, the bytes GET returns.
SELECT_DOCUMENTS = one(CONFIGURATION_FIELDS, "FROM configurations c ORDER BY c.id", key="shown.id")


@dataclass(frozen=True)
class BenchSettings:
    seconds: float = 5.0
    rounds: int = 3
    connections: int = 32
    workers: int = 2
    pool_size: int = 4  # DB_POOL_MAX_SIZE per worker: 2 workers x 4 for 2 cores (see README, Performance)
    applications: int = 1000
    configurations: int = 10000
    watchers: int = 1000  # held requests over both workers in the watch section
    held_in_one_process: int = 10000
    data_dir: Path = Path(".data")
    only: tuple[str, ...] = ()  # scenario names; empty: all

    @classmethod
    def from_environment(cls) -> "BenchSettings":
        env = os.environ
        return cls(
            seconds=float(env.get("BENCH_SECONDS", cls.seconds)),
            rounds=int(env.get("BENCH_ROUNDS", cls.rounds)),
            connections=int(env.get("BENCH_CONNECTIONS", cls.connections)),
            workers=int(env.get("BENCH_WORKERS", cls.workers)),
            pool_size=int(env.get("BENCH_POOL_SIZE", cls.pool_size)),
            applications=int(env.get("BENCH_APPLICATIONS", cls.applications)),
            configurations=int(env.get("BENCH_CONFIGURATIONS", cls.configurations)),
            watchers=int(env.get("BENCH_WATCHERS", cls.watchers)),
            held_in_one_process=int(env.get("BENCH_HELD_IN_ONE_PROCESS", cls.held_in_one_process)),
            data_dir=Path(env.get("DATA_DIR", ".data")),
            only=tuple(name for name in env.get("BENCH_SCENARIOS", "").split(",") if name),
        )


def _admin(url: str, statement: sql.Composable) -> None:
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def prepare_database(server_url: str, settings: BenchSettings) -> str:
    """A fresh, migrated database loaded with the data set; returns its URL."""
    _admin(server_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
    _admin(server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    url = make_dsn(server_url, dbname=DATABASE)
    migrations.apply(url)
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(
                LOAD_DATA, {"applications": settings.applications, "configurations": settings.configurations}
            )
    finally:
        conn.close()
    return url


def documents(url: str) -> list[tuple[str, bytes]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(SELECT_DOCUMENTS)
            return [(key, body.encode()) for key, _, body in cursor.fetchall()]
    finally:
        conn.close()


def service_environment(url: str, settings: BenchSettings, port: int) -> dict[str, str]:
    """The fixed settings the service is measured with, whatever the caller's environment says."""
    return os.environ | {
        "WATCH_MAX_HELD": str(max(10_000, 2 * settings.held_in_one_process)),
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": str(settings.workers),
        "DB_POOL_MIN_SIZE": str(min(2, settings.pool_size)),
        "DB_POOL_MAX_SIZE": str(settings.pool_size),
        "LOG_LEVEL": "WARNING",
    }


def start_service(url: str, settings: BenchSettings, port: int) -> subprocess.Popen:
    """`make serve` with the bench's settings, once it accepts connections."""
    server = subprocess.Popen([sys.executable, "-m", "scripts.serve"], env=service_environment(url, settings, port))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench: the service exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bench: the service did not start")


def warm_up_seconds(scenario: Scenario, settings: BenchSettings) -> float:
    """Reads get three runs' worth: long enough for every worker to have the documents cached, as a
    service in use has them (and as etcd has its keys in memory). Anything else gets one run."""
    reads = scenario.name.startswith(("get_", "list_"))
    return max(2.0, settings.seconds * (3 if reads else 1))


def watch_section(url: str, settings: BenchSettings, port: int, server_pid: int) -> tuple:
    """The watch measurements (see watch_scenario.py): on the service, then on one process of its own."""
    print(
        f"bench: watch section, {settings.watchers} held requests, then {settings.held_in_one_process} in one process",
        flush=True,
    )
    report = asyncio.run(watch_scenario.delays_and_memory(port, url, server_pid, settings.watchers))
    puts = asyncio.run(
        watch_scenario.put_on_and_off(
            port, settings.watchers, rounds=settings.rounds, seconds=settings.seconds, connections=settings.connections
        )
    )
    single_port = free_port()
    single = start_service(url, replace(settings, workers=1), single_port)
    try:
        get = next(
            s for s in scenarios(settings.applications, settings.configurations) if s.name == "get_configuration"
        )
        measure = watch_scenario.one_process(
            single_port,
            single.pid,
            settings.held_in_one_process,
            get,
            seconds=settings.seconds,
            connections=settings.connections,
        )
        one = asyncio.run(measure)
    finally:
        single.send_signal(signal.SIGTERM)
        single.wait(timeout=60)
    return report, puts, one


def main() -> int:
    settings = BenchSettings.from_environment()
    require_wrk()
    require_etcd()
    out_dir = settings.data_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = scenarios(settings.applications, settings.configurations)
    plan = [scenario for scenario in plan if scenario.name in settings.only or not settings.only]
    baselines = {"range": etcd_range(settings.configurations), "put": etcd_put(settings.configurations)}
    peers = [baselines[kind] for kind in baselines if any(scenario.peer == kind for scenario in plan)]
    results: dict[str, list[Measurement]] = {name: [] for name in [CEILING.name] + [s.name for s in peers + plan]}
    watch: tuple | None = None
    memory: list[list[float]] = []
    print(
        f"bench: {settings.rounds} rounds of {settings.seconds:g} s per run, wrk -t1 -c{settings.connections}, "
        f"{settings.workers} workers x {settings.pool_size} connections, "
        f"{settings.applications} applications, {settings.configurations} configurations",
        flush=True,
    )
    with embedded_postgres(out_dir / "database") as server_url:
        url = prepare_database(server_url, settings)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_service(url, settings, port)
        etcd = Etcd(out_dir / "etcd")
        try:
            loaded = etcd.load(documents(url))
            print(f"bench: etcd {etcd.url} holds the same {loaded} documents", flush=True)

            def measure(scenario: Scenario, token: str, seconds: float) -> Measurement:
                target = etcd.url if scenario in peers else base
                return run_wrk(target, lua_script(scenario, token), seconds=seconds, connections=settings.connections)

            # Warm-up (not recorded): imports, connections, plans, and the caches (a service in use has
            # them warm, as etcd has its keys in memory).
            for warm_up in (CEILING, *peers, *plan):
                measure(warm_up, "warm-up", warm_up_seconds(warm_up, settings))
            for round_number in range(1, settings.rounds + 1):
                memory.append(worker_memory_mb(server.pid))
                for scenario in (CEILING, *peers, *plan):
                    results[scenario.name].append(measure(scenario, f"r{round_number}", settings.seconds))
                print(f"bench: round {round_number}/{settings.rounds} done", flush=True)
            memory.append(worker_memory_mb(server.pid))
            if not settings.only or "watch" in settings.only:
                watch = watch_section(url, settings, port, server.pid)
                print("\n".join(watch_scenario.summary(*watch)), flush=True)
        finally:
            etcd.stop()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    rows = summarise(results, CEILING, peers, plan)
    table = format_table(rows)
    print()
    print(table)
    print(f"worker RSS (MB) at each round start and at the end: {memory}")
    if watch:
        print("\n".join(watch_scenario.summary(*watch)))
    report = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": asdict(settings) | {"data_dir": str(settings.data_dir)},
        "rows": [asdict(row) for row in rows],
        "runs": {name: [asdict(m) for m in measurements] for name, measurements in results.items()},
        "worker_rss_mb": memory,
        "table": table,
        "watch": watch_scenario.as_json(*watch) if watch else None,
    }
    path = out_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2))
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"bench: written to {path}")
    return 0
