import signal

import pytest

from configsvc.embedded_postgres_test import postmaster_pid, wait_until_gone
from test.serving import free_port, start, stop, wait_for_http

# Real servers or processes: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow


def test_without_database_url_it_serves_from_the_embedded_database_and_stops_it(tmp_path):
    port = free_port()
    server = start("scripts.run", {"DATABASE_URL": "", "DATA_DIR": str(tmp_path), "PORT": str(port)})
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/openapi.json", server) == 200
        pid = postmaster_pid(tmp_path)
    finally:
        output = stop(server, signal.SIGINT)

    assert server.returncode == 0, output
    assert wait_until_gone(pid)


def test_a_bad_setting_stops_start_up_naming_it(tmp_path):
    server = start("scripts.run", {"PORT": "eighty", "DATA_DIR": str(tmp_path)})
    output, _ = server.communicate(timeout=30)

    assert server.returncode == 1
    assert "PORT" in output
    assert "Traceback" not in output


def test_an_unreachable_database_stops_start_up_with_a_clear_message():
    server = start("scripts.run", {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PORT": str(free_port())})
    output, _ = server.communicate(timeout=30)

    assert server.returncode == 1
    assert "cannot start: the database is unreachable" in output
    assert "Traceback" not in output
