import os
import subprocess
import sys
from pathlib import Path

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
