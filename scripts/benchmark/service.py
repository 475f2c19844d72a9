"""The bench's settings, its data set in PostgreSQL, and the service measured (`make serve`)."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from configsvc import migrations
from configsvc.representations import CONFIGURATION_FIELDS, one
from scripts.benchmark.schema_cost import LOAD_SCHEMAS, load_parameters
from scripts.benchmark.workloads import LOAD_DATA, Scenario

DATABASE = "configsvc_bench"
# The documents etcd holds: each configuration's representation, the bytes GET returns.
SELECT_DOCUMENTS = one(CONFIGURATION_FIELDS, "FROM configurations c ORDER BY c.id", key="shown.id")


@dataclass(frozen=True)
class BenchSettings:
    seconds: float = 5.0
    rounds: int = 3
    # Rounds of the comparisons of one service with itself changed (metrics on/off, watching on/off):
    # their differences are a few per cent, this machine's run-to-run noise ten or more.
    cost_rounds: int = 7
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
            cost_rounds=int(env.get("BENCH_COST_ROUNDS", cls.cost_rounds)),
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
            cursor.execute(LOAD_SCHEMAS, load_parameters(settings.configurations))
    finally:
        conn.close()
    return url


def documents(url: str) -> list[tuple[str, bytes]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(SELECT_DOCUMENTS)
            return [(row[0], row[-1].encode()) for row in cursor.fetchall()]  # key ... body
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


def start_service(
    url: str, settings: BenchSettings, port: int, *, quiet: bool = False, source: Path | None = None, **overrides: str
) -> subprocess.Popen:
    """`make serve` with the bench's settings (and `overrides`), once it accepts connections; `quiet`
    for a variant, whose output (an access log, say) is not the bench's report; `source`, a copy of
    the source tree to serve from instead of this one (`without_audit.py`)."""
    env = service_environment(url, settings, port) | overrides
    output = subprocess.DEVNULL if quiet else None
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.serve"], env=env, stdout=output, stderr=output, cwd=source
    )
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
