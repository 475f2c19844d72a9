import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seed(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.seed"],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_seed_twice_migrates_first_and_adds_nothing_the_second_time(empty_database_url):
    first = seed(empty_database_url)
    second = seed(empty_database_url)

    assert first.returncode == 0, first.stderr
    assert "5 application(s) and 13 configuration(s) created" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "0 application(s) and 0 configuration(s) created" in second.stdout
