"""`make bench`: the service in serve mode against an embedded PostgreSQL 16, measured with wrk,
interleaved (A B A B …) with its baselines — the no-database ceiling and pgbench on the same SQL."""

import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from configsvc import migrations
from configsvc.embedded_postgres import embedded_postgres
from scripts.benchmark.tools import Measurement, require_wrk, run_pgbench, run_wrk
from scripts.benchmark.workloads import CEILING, LOAD_DATA, Scenario, lua_script, scenarios
from scripts.ports import free_port

DATABASE = "configsvc_bench"


@dataclass(frozen=True)
class BenchSettings:
    seconds: float = 5.0
    rounds: int = 3
    connections: int = 32
    workers: int = 2
    pool_size: int = 4  # DB_POOL_MAX_SIZE per worker: 2 workers x 4 for 2 cores (see README, Performance)
    applications: int = 1000
    configurations: int = 10000
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
            data_dir=Path(env.get("DATA_DIR", ".data")),
            only=tuple(name for name in env.get("BENCH_SCENARIOS", "").split(",") if name),
        )


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    vs_ceiling: float | None
    vs_pgbench: float | None
    target: str


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
            sizes = {"applications": settings.applications, "configurations": settings.configurations}
            cursor.execute(LOAD_DATA, sizes)
    finally:
        conn.close()
    return url


def service_environment(url: str, settings: BenchSettings, port: int) -> dict[str, str]:
    """The fixed settings the service is measured with, whatever the caller's environment says."""
    return os.environ | {
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": str(settings.workers),
        "DB_POOL_MIN_SIZE": str(min(2, settings.pool_size)),
        "DB_POOL_MAX_SIZE": str(settings.pool_size),
        "LOG_LEVEL": "WARNING",
    }


def start_service(url: str, settings: BenchSettings, port: int) -> subprocess.Popen:
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


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes under `parent` (multiprocessing spawn children), from /proc."""
    found, pending = [], [parent]
    while pending:
        pid = pending.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with suppress(OSError):
                pending += [int(child) for child in (task / "children").read_text().split()]
        if pid != parent:
            with suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
    return sorted(found)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def worker_memory_mb(server: subprocess.Popen) -> list[float]:
    return sorted(rss_mb(pid) for pid in worker_pids(server.pid))


def summarise(results: dict[str, list[Measurement]], plan: list[Scenario]) -> list[Row]:
    def median(name: str, field: str) -> float:
        return statistics.median(getattr(m, field) for m in results[name])

    ceiling = median(CEILING.name, "requests_per_second")
    ceiling_errors = sum(m.errors for m in results[CEILING.name])
    p50, p99 = median(CEILING.name, "p50_ms"), median(CEILING.name, "p99_ms")
    rows = [Row(CEILING.name, CEILING.title, ceiling, p50, p99, ceiling_errors, 1.0, None, "")]
    for scenario in plan:
        rps = median(scenario.name, "requests_per_second")
        pgbench = median(f"pgbench:{scenario.name}", "requests_per_second")
        ratios = {"ceiling": rps / ceiling, "pgbench": rps / pgbench}
        p99 = median(scenario.name, "p99_ms")
        errors = sum(m.errors for m in results[scenario.name])
        target = ""
        if scenario.target is not None:
            met = ratios[scenario.baseline] >= scenario.target and p99 <= 100 and errors == 0
            target = f"≥ {scenario.target:.2f}x {scenario.baseline}: {'met' if met else 'MISSED'}"
        rows.append(
            Row(
                scenario.name,
                scenario.title,
                rps,
                median(scenario.name, "p50_ms"),
                p99,
                errors,
                ratios["ceiling"],
                ratios["pgbench"],
                target,
            )
        )
        rows.append(
            Row(
                f"pgbench:{scenario.name}",
                "  pgbench, same SQL",
                pgbench,
                median(f"pgbench:{scenario.name}", "p50_ms"),
                median(f"pgbench:{scenario.name}", "p99_ms"),
                sum(m.errors for m in results[f"pgbench:{scenario.name}"]),
                pgbench / ceiling,
                1.0,
                "",
            )
        )
    return rows


def format_table(rows: list[Row]) -> str:
    def ratio(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}x"

    header = f"{'scenario':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs ceiling':>12}{'vs pgbench':>12}"
    lines = [header + "  target"]
    for row in rows:
        lines.append(
            f"{row.title:<28}{row.requests_per_second:>9,.0f}{row.p50_ms:>9.2f}{row.p99_ms:>9.2f}{row.errors:>8}"
            f"{ratio(row.vs_ceiling):>12}{ratio(row.vs_pgbench):>12}  {row.target}"
        )
    return "\n".join(lines)


def main() -> int:
    settings = BenchSettings.from_environment()
    require_wrk()
    out_dir = settings.data_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = scenarios(settings.applications, settings.configurations)
    plan = [scenario for scenario in plan if scenario.name in settings.only or not settings.only]
    results: dict[str, list[Measurement]] = {CEILING.name: []} | {
        name: [] for s in plan for name in (s.name, f"pgbench:{s.name}")
    }
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
        try:
            # Warm-up (not recorded): imports, connections, plans.
            for warm_up in (CEILING, *plan):
                run_wrk(base, lua_script(warm_up, "warm-up"), seconds=1, connections=settings.connections)
            for round_number in range(1, settings.rounds + 1):
                memory.append(worker_memory_mb(server))
                results[CEILING.name].append(
                    run_wrk(base, lua_script(CEILING, ""), seconds=settings.seconds, connections=settings.connections)
                )
                for scenario in plan:
                    script = lua_script(scenario, f"r{round_number}")
                    results[scenario.name].append(
                        run_wrk(base, script, seconds=settings.seconds, connections=settings.connections)
                    )
                    results[f"pgbench:{scenario.name}"].append(
                        run_pgbench(url, scenario.pgbench, seconds=settings.seconds, clients=settings.connections)
                    )
                print(f"bench: round {round_number}/{settings.rounds} done", flush=True)
            memory.append(worker_memory_mb(server))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    rows = summarise(results, plan)
    table = format_table(rows)
    print()
    print(table)
    print(f"worker RSS (MB) at each round start and at the end: {memory}")
    report = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": asdict(settings) | {"data_dir": str(settings.data_dir)},
        "rows": [asdict(row) for row in rows],
        "runs": {name: [asdict(m) for m in measurements] for name, measurements in results.items()},
        "worker_rss_mb": memory,
        "table": table,
    }
    path = out_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2))
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"bench: written to {path}")
    return 0
