import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test.tools import requires

# Real servers or processes: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@requires("wrk")
@requires("etcd")
def test_bench_runs_end_to_end_prints_the_table_and_writes_json(tmp_path):
    env = os.environ | {
        "DATA_DIR": str(tmp_path),
        "BENCH_SECONDS": "1",
        "BENCH_ROUNDS": "1",
        "BENCH_APPLICATIONS": "150",
        "BENCH_CONFIGURATIONS": "300",
        "BENCH_SCENARIOS": "get_configuration",
    }
    result = subprocess.run(
        [sys.executable, "-m", "scripts.bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "GET configuration" in result.stdout
    assert "etcd range" in result.stdout
    report = json.loads((tmp_path / "bench" / "latest.json").read_text())
    rows = {row["name"]: row for row in report["rows"]}
    assert rows["get_configuration"]["requests_per_second"] > 0
    assert rows["get_configuration"]["errors"] == 0
    assert rows["etcd_range"]["requests_per_second"] > 0
    assert rows["get_configuration"]["vs_etcd"] > 0
    assert len(report["worker_rss_mb"]) == 2
    assert not (tmp_path / "bench" / "database" / "postgres16" / "postmaster.pid").exists()
