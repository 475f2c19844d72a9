import subprocess
import sys
from pathlib import Path

from scripts.benchmark.without_audit import build_without_audit

ROOT = Path(__file__).resolve().parents[2]
SHOW_STATEMENTS = (
    "from configsvc.repositories import configurations as c; from configsvc.db.statements import Prepared; "
    "print('\\n'.join(v.sql for v in vars(c).values() if isinstance(v, Prepared)))"
)


def statements(source: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", SHOW_STATEMENTS], cwd=source, capture_output=True, text=True, check=True
    ).stdout


def test_the_copy_writes_configurations_with_no_audit_event_and_the_build_itself_still_does(tmp_path):
    copy = build_without_audit(ROOT, tmp_path / "without-audit")

    assert "INSERT INTO audit_events" in statements(ROOT)
    without = statements(copy)
    assert "INSERT INTO configuration_revisions" in without  # the same writes otherwise
    assert "audit_events" not in without
    assert not list(copy.rglob("*_test.py"))
    assert (copy / "migrations").is_dir()
    assert (copy / "scripts" / "serve.py").is_file()
