"""Drive wrk, the HTTP load generator, and read its results."""

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

WRK_MISSING = (
    "make bench needs wrk, the HTTP load generator, and will not fall back to a slower one: "
    "install it with `make tools` (apt-get install wrk) or `brew install wrk` (macOS)."
)


@dataclass(frozen=True)
class Measurement:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    # The service workers' CPU time per request served, where measured (see `with_worker_cpu`).
    worker_cpu_us: float | None = None


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(WRK_MISSING)
    return path


def run_wrk(
    base_url: str,
    lua: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    cpu_seconds: Callable[[], float] | None = None,
) -> Measurement:
    """wrk against `base_url`; with `cpu_seconds` (the service's CPU clock), its CPU per request too."""
    if cpu_seconds is not None:
        run = partial(run_wrk, base_url, lua, seconds=seconds, connections=connections, threads=threads)
        return with_worker_cpu(cpu_seconds, seconds, run)
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


def with_worker_cpu(
    cpu_seconds: Callable[[], float], seconds: float, measure: Callable[[], Measurement]
) -> Measurement:
    """`measure()` (a wrk run of `seconds`), with the workers' CPU time per request over it: a cost
    that does not depend on how the two cores were shared out during the run, as throughput does."""
    before = cpu_seconds()
    measurement = measure()
    requests = measurement.requests_per_second * seconds
    used = cpu_seconds() - before
    return replace(measurement, worker_cpu_us=round(used / requests * 1e6, 1) if requests else None)
