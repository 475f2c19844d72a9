import os
import subprocess
import sys
from pathlib import Path

import pytest
from ulid import ULID

from scripts.soak import SoakReport, Worker, _count_lost, soak

# Real servers, restarts and timeouts: seconds each (make test-fast leaves them out).
pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_a_short_soak_acknowledges_writes_and_loses_none(client):
    report = await soak(client, seconds=1.5, concurrency=4, max_requests=400)

    assert report.acknowledged > 10
    assert report.requests > report.acknowledged
    assert (report.lost, report.server_errors, report.transport_errors, report.unexpected) == (0, 0, 0, {})
    assert report.ok


async def test_verification_counts_missing_and_changed_writes_as_lost(client):
    app_id = (await client.post("/api/v1/applications", json={"name": "a"})).json()["id"]
    body = {"application_id": app_id, "name": "c", "config": {"v": 1}}
    config_id = (await client.post("/api/v1/configurations", json=body)).json()["id"]
    worker = Worker(0, app_id)
    worker.expected[config_id] = {"name": "c", "config": {"v": 1}}
    assert await _count_lost(client, [worker]) == 0

    worker.expected[config_id] = {"name": "c", "config": {"v": 2}}  # acknowledged, but not what is stored
    worker.expected[str(ULID())] = {"name": "gone", "config": {}}  # acknowledged, but missing
    assert await _count_lost(client, [worker]) == 2


def test_summary_is_the_contract_line():
    report = SoakReport(acknowledged=12, lost=1, server_errors=2)

    assert report.summary() == "12 acknowledged, 1 lost, 2 5xx"
    assert not report.ok


ROOT = Path(__file__).resolve().parent.parent


def test_make_soak_serves_soaks_verifies_and_prints_the_contract_line_last(tmp_path):
    env = os.environ | {"DATA_DIR": str(tmp_path), "SOAK_SECONDS": "1", "SOAK_CONCURRENCY": "4"}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.soak"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    last_line = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout + result.stderr
    acknowledged, rest = last_line.split(" acknowledged, ")
    assert int(acknowledged) > 0
    assert rest == "0 lost, 0 5xx"
    assert not (tmp_path / "soak" / "postgres16" / "postmaster.pid").exists()
