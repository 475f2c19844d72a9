import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg2
import pytest

from configsvc.embedded_postgres import database_url, embedded_postgres

# Real servers or processes: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from configsvc.embedded_postgres import embedded_postgres

    with embedded_postgres(Path(sys.argv[1])) as url:
        print(url, flush=True)
        sys.stdin.read()
    """
)


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres16" / "postmaster.pid").read_text().split()[0])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A stopped postmaster may linger briefly as a zombie of its (re)parent.
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state not in {"Z", "X"}


def wait_until_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def start_holder(data_dir: Path) -> tuple[subprocess.Popen, str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    return holder, holder.stdout.readline().strip()


def scalar(url: str, statement: str) -> object:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchone()[0]
    finally:
        conn.close()


def test_configured_url_is_used_as_is(tmp_path):
    with database_url("postgresql://elsewhere/db", tmp_path) as url:
        assert url == "postgresql://elsewhere/db"
    assert list(tmp_path.iterdir()) == []


def test_serves_postgres_16_and_keeps_data_across_runs(tmp_path):
    with embedded_postgres(tmp_path) as url:
        assert scalar(url, "SHOW server_version_num").startswith("16")
        scalar(url, "CREATE TABLE kept (id INT); INSERT INTO kept VALUES (42); SELECT 1")
        pid = postmaster_pid(tmp_path)

    assert wait_until_gone(pid)
    with embedded_postgres(tmp_path) as url:
        assert scalar(url, "SELECT id FROM kept") == 42


def test_a_second_process_joins_the_running_server_and_leaves_it_running(tmp_path):
    holder, holder_url = start_holder(tmp_path)
    try:
        pid = postmaster_pid(tmp_path)
        with database_url("", tmp_path) as url:
            assert url == holder_url
            assert postmaster_pid(tmp_path) == pid
        assert alive(pid)
        assert scalar(holder_url, "SELECT 1") == 1
    finally:
        holder.communicate("", timeout=30)
    assert wait_until_gone(pid)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_no_postgres_is_left_behind_when_the_owner_is_interrupted(tmp_path, signum):
    holder, _ = start_holder(tmp_path)
    pid = postmaster_pid(tmp_path)

    holder.send_signal(signum)
    holder.communicate(timeout=30)

    assert holder.returncode != 0
    assert wait_until_gone(pid)
