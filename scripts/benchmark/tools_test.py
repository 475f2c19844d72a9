import http.server
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from scripts.benchmark.tools import WRK_MISSING, Measurement, parse_wrk, require_wrk, run_wrk, with_worker_cpu
from scripts.benchmark.workloads import CEILING, etcd_put, etcd_range, lua_script, scenarios
from test.tools import requires


class Ok(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _answer(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


class StubServer(http.server.ThreadingHTTPServer):
    request_queue_size = 64  # every wrk connects at once; the default backlog of 5 drops SYNs
    daemon_threads = True


@pytest.fixture(scope="module")
def stub_url():
    server = StubServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_parse_wrk_reads_the_report_line():
    output = (
        'Running 5s test\n  1 threads and 32 connections\n\n{"requests": 5000, "duration_us": 2000000, '
        '"socket_errors": 1, "status_errors": 2, "p50_us": 1500, "p99_us": 9000}\n'
    )

    measured = parse_wrk(output)

    assert (measured.requests_per_second, measured.p50_ms, measured.p99_ms, measured.errors) == (2500, 1.5, 9.0, 3)


def test_wrk_is_required_with_install_instructions(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)

    with pytest.raises(SystemExit) as raised:
        require_wrk()

    assert str(raised.value) == WRK_MISSING
    assert "make tools" in WRK_MISSING


@requires("wrk")
def test_every_wrk_script_runs_and_reports(stub_url):
    plan = [CEILING, etcd_range(100), etcd_put(100), *scenarios(10, 100)]
    with ThreadPoolExecutor(len(plan)) as pool:  # one second for all of them
        measured = list(pool.map(lambda s: run_wrk(stub_url, lua_script(s, "test"), seconds=1, connections=2), plan))

    assert all(m.requests_per_second > 0 for m in measured)
    assert [m.errors for m in measured] == [0] * len(plan)


def test_worker_cpu_is_the_cpu_used_during_the_run_per_request():
    clock = iter([10.0, 10.5])  # 0.5 s of the workers' CPU over a 5 s run at 1,000 req/s

    measured = with_worker_cpu(lambda: next(clock), 5, lambda: Measurement(1000, 1, 2, 0))

    assert measured == Measurement(1000, 1, 2, 0, worker_cpu_us=100.0)


@requires("wrk")
def test_given_the_service_clock_wrk_reports_its_cpu_per_request(stub_url):
    clock = iter([3.0, 4.0])  # one CPU second over the run

    measured = run_wrk(stub_url, lua_script(CEILING, "test"), seconds=1, connections=2, cpu_seconds=lambda: next(clock))

    requests = measured.requests_per_second * 1
    assert requests > 0
    assert measured.worker_cpu_us == round(1 / requests * 1e6, 1)
