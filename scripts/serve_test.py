import signal

import httpx
import pytest

from configsvc.embedded_postgres_test import postmaster_pid, wait_until_gone
from scripts.benchmark.processes import worker_pids
from test.serving import free_port, start, stop, wait_for_http

# Real servers or processes: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow


def test_serve_runs_workers_on_the_embedded_database_and_stops_cleanly(tmp_path):
    port = free_port()
    server = start("scripts.serve", {"DATABASE_URL": "", "DATA_DIR": str(tmp_path), "PORT": str(port), "WORKERS": "2"})
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/readyz", server) == 200
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            created = client.post("/api/v1/applications", json={"name": "served"})
            assert created.status_code == 201
            for _ in range(10):
                assert client.get(created.headers["location"]).status_code == 200
        workers = worker_pids(server.pid)
        pid = postmaster_pid(tmp_path)
    finally:
        output = stop(server, signal.SIGTERM)

    assert len(workers) == 2
    assert "GET /api/v1/applications" not in output  # no access log below DEBUG
    assert wait_until_gone(pid)
