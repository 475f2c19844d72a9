"""Drive the load generators — wrk for HTTP, pgbench for SQL — and read their results."""

import json
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg2.extensions

WRK_MISSING = (
    "make bench needs wrk, the HTTP load generator, and will not fall back to a slower one: "
    "install it with `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)."
)


@dataclass(frozen=True)
class Measurement:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(WRK_MISSING)
    return path


def run_wrk(base_url: str, lua: str, *, seconds: float, connections: int, threads: int = 1) -> Measurement:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete_on_close=False) as script:
        script.write(lua)
        script.close()
        completed = subprocess.run(
            [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "-s", script.name, base_url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    return parse_wrk(completed.stdout)


def parse_wrk(output: str) -> Measurement:
    """Read the JSON line our Lua `done` handler prints after wrk's own report."""
    report = json.loads(next(line for line in reversed(output.splitlines()) if line.startswith("{")))
    seconds = report["duration_us"] / 1e6
    return Measurement(
        requests_per_second=report["requests"] / seconds if seconds else 0.0,
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        errors=report["socket_errors"] + report["status_errors"],
    )


def pgbench_binary() -> Path:
    from configsvc.embedded_postgres import POSTGRES_VERSION, pgserver_module

    return pgserver_module().utils.POSTGRES_VERSIONS[POSTGRES_VERSION] / "pgbench"


def run_pgbench(
    dsn: str, sql: str, *, seconds: float, clients: int, threads: int = 2, transactions: int | None = None
) -> Measurement:
    """pgbench in prepared mode for `seconds` (or `transactions` per client); latencies from its log."""
    parts = psycopg2.extensions.parse_dsn(dsn)
    with tempfile.TemporaryDirectory() as work:
        script = Path(work) / "script.sql"
        script.write_text(sql)
        command = [
            str(pgbench_binary()),
            "-n",
            "-M",
            "prepared",
            f"-c{clients}",
            f"-j{threads}",
            f"-t{transactions}" if transactions else f"-T{max(1, round(seconds))}",
            "-f",
            str(script),
            "-l",
            "--log-prefix",
            str(Path(work) / "log"),
            "-h",
            parts.get("host", "localhost"),
            "-U",
            parts.get("user", "postgres"),
            parts.get("dbname", "postgres"),
        ]
        if "port" in parts:
            command[-1:-1] = ["-p", parts["port"]]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False, cwd=work)
        latencies_us = [
            int(line.split()[2]) for log in Path(work).glob("log*") for line in log.read_text().splitlines() if line
        ]
    return parse_pgbench(completed.stdout + completed.stderr, latencies_us)


def parse_pgbench(output: str, latencies_us: list[int]) -> Measurement:
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if tps is None:
        raise RuntimeError(f"pgbench failed:\n{output}")
    quantiles = statistics.quantiles(latencies_us, n=100, method="inclusive") if len(latencies_us) > 1 else [0] * 99
    return Measurement(
        requests_per_second=float(tps.group(1)),
        p50_ms=quantiles[49] / 1000,
        p99_ms=quantiles[98] / 1000,
        errors=int(failed.group(1)) if failed else 0,
    )
