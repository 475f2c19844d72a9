"""A copy of this build with the audit taken out, for the bench to measure what the audit costs a
write: the same code, database and migrations, but `audited()` (repositories/audit.py) adds no CTE,
so a write's statement records no event. Made from the working tree each time the bench runs, so it
is never a build other than the one measured. Never served outside the bench."""

import shutil
from pathlib import Path

# The directories `python -m scripts.serve` needs, run from the copy.
SOURCES = ("configsvc", "scripts", "migrations")
# Appended to the copy's audit.py: the later definition is the one its importers get.
WITHOUT = '''

def audited(source: str, *, action: str, kind: str, id: str, application: str, version: str) -> str:
    """The bench's build without the audit (scripts/benchmark/without_audit.py): no event."""
    return ""
'''


def build_without_audit(root: Path, into: Path) -> Path:
    """The source tree at `root`, copied to `into` (replacing what is there) without the audit."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    for name in SOURCES:
        shutil.copytree(root / name, into / name, ignore=shutil.ignore_patterns("__pycache__", "*_test.py"))
    audit = into / "configsvc" / "repositories" / "audit.py"
    if "def audited(" not in audit.read_text():
        raise SystemExit("bench: repositories/audit.py has no audited(); without_audit.py must follow it")
    with audit.open("a") as file:
        file.write(WITHOUT)
    return into
