"""The built wheel is the service: it carries its migrations, and an installed copy applies them."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from configsvc import migrations
from test.sql import sql

# Real servers or processes: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (the README's prerequisites)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(out), str(ROOT)], check=True, capture_output=True, timeout=300
    )
    (built,) = out.glob("configsvc-*.whl")
    return built


def test_the_wheel_holds_the_service_and_its_migrations_and_no_tooling(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(file.filename for file in migrations.discover(migrations.MIGRATIONS_DIR))

    assert sorted(Path(n).name for n in names if n.startswith("configsvc/migrations_sql/")) == shipped
    assert "configsvc/main.py" in names
    assert not [n for n in names if n.endswith("_test.py") or "conftest" in n]
    assert not [n for n in names if n.startswith(("scripts/", "test/")) or "bench" in n or "soak" in n]


def test_an_installed_copy_applies_its_migrations(wheel, tmp_path, empty_database_url):
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)  # what an installer puts in site-packages
    env = os.environ | {"PYTHONPATH": str(site), "DATABASE_URL": empty_database_url}

    where = subprocess.run(
        [sys.executable, "-c", "import configsvc.migrations as m; print(m.__file__); print(m.MIGRATIONS_DIR)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    applied = subprocess.run(
        [sys.executable, "-m", "configsvc.migrations", "apply"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert where[0].startswith(str(site))  # the installed copy, not the checkout
    assert where[1] == str(site / "configsvc" / "migrations_sql")
    assert applied.returncode == 0, applied.stderr
    assert sql(empty_database_url, "SELECT count(*) FROM migrations") == [
        (len(migrations.discover(migrations.MIGRATIONS_DIR)),)
    ]
