import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def migrate(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "scripts.migrate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_apply_then_nothing_pending_the_second_time(empty_database_url):
    first = migrate(empty_database_url)
    second = migrate(empty_database_url)

    assert first.returncode == 0, first.stderr
    assert "applied  0001_applications_and_configurations.sql" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "nothing to apply" in second.stdout


def test_status_lists_pending_then_applied(empty_database_url):
    before = migrate(empty_database_url, "status")
    migrate(empty_database_url)
    after = migrate(empty_database_url, "status")

    assert before.stdout.startswith("pending  0001_")
    assert after.stdout.startswith("applied  0001_")


def test_a_failing_file_exits_non_zero_naming_the_file_and_the_error(empty_database_url, tmp_path):
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE (;")

    result = migrate(empty_database_url, "--directory", str(tmp_path))

    assert result.returncode == 1
    assert "0001_broken.sql failed and was rolled back" in result.stderr
    assert "syntax error" in result.stderr
    assert "Traceback" not in result.stderr
