"""The HTTP edge of a served process, tried with raw sockets as an attacker or a broken client would:
request heads too large or too slow, and bodies sent on after the service has answered.

One `make serve` (two workers) and one `make run` process serve every test here, with limits small
enough to reach quickly.
"""

import select
import socket
import time
from collections.abc import Iterator

import pytest
from psycopg2.extensions import make_dsn

from conftest import create_database, drop_database
from scripts.benchmark.processes import rss_mb, worker_pids
from test.serving import ServeInstance, free_port, start, stop, wait_for_http

# Real servers and raw sockets: seconds in all (make test-fast leaves them out).
pytestmark = pytest.mark.slow

HEADERS_TIMEOUT_SECONDS = 1.0
MAX_BODY_BYTES = 65_536
MAX_HEADER_BYTES = 65_536  # the default
LIMITS = {
    "HEADERS_TIMEOUT_SECONDS": str(HEADERS_TIMEOUT_SECONDS),
    "MAX_BODY_BYTES": str(MAX_BODY_BYTES),
    "LOG_LEVEL": "WARNING",
}


class Served:
    def __init__(self, host: str, port: int, pid: int) -> None:
        self.address = (host, port)
        self.pid = pid

    def connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


@pytest.fixture(scope="module")
def served_database(server_url: str, template_database: str) -> Iterator[str]:
    name = create_database(server_url, template=template_database)
    yield make_dsn(server_url, dbname=name)
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def serve(served_database: str) -> Iterator[Served]:
    instance = ServeInstance(served_database, workers=2, **LIMITS)
    try:
        instance.wait_ready()
        yield Served("127.0.0.1", instance.port, instance.process.pid)
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def run(served_database: str) -> Iterator[Served]:
    import signal

    port = free_port()
    process = start("scripts.run", {"DATABASE_URL": served_database, "PORT": str(port)} | LIMITS)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/readyz", process) == 200
        yield Served("127.0.0.1", port, process.pid)
    finally:
        stop(process, signal.SIGINT)


@pytest.fixture(params=["serve", "run"])
def served(request: pytest.FixtureRequest) -> Served:
    """Each test below runs against `make serve` and `make run` alike."""
    return request.getfixturevalue(request.param)


def read_until_closed(sock: socket.socket, seconds: float = 5) -> tuple[bytes, bool]:
    """Everything the server sends, and whether it closed the connection within `seconds`."""
    received = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([sock], [], [], left)[0]:
            break
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def read_response(sock: socket.socket) -> tuple[int, dict[str, str]]:
    """One response's status and headers (its body, by Content-Length, read and dropped)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed by the server after {received!r}"
        received += chunk
    status, headers = head_of(received)
    body_left = int(headers.get("content-length", "0")) - len(received.split(b"\r\n\r\n", 1)[1])
    while body_left > 0:
        body_left -= len(sock.recv(body_left))
    return status, headers


def head_of(response: bytes) -> tuple[int, dict[str, str]]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(":", 1) for line in head[1:])
    return int(head[0].split()[1]), {name.strip().lower(): value.strip() for name, value in fields.items()}


def send_what_it_takes(sock: socket.socket, data: bytes) -> int:
    """Send `data` until the server refuses more; how many bytes went out."""
    sent = 0
    try:
        while sent < len(data):
            sent += sock.send(data[sent : sent + 65536])
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        pass
    return sent


def request_head(size: int) -> bytes:
    """A GET /healthz head of exactly `size` bytes (its X-Pad header filling what is needed)."""
    start, end = b"GET /healthz HTTP/1.1\r\nHost: configsvc.test\r\nX-Pad: ", b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


def test_an_ordinary_head_is_served_and_the_connection_kept(served):
    with served.connect() as sock:
        for _ in range(2):
            sock.sendall(request_head(4096))
            status, headers = read_response(sock)
            assert status == 200
            assert headers.get("connection") != "close"


def test_a_head_over_max_header_bytes_is_431_and_the_connection_closed(served):
    with served.connect() as sock:
        send_what_it_takes(sock, request_head(MAX_HEADER_BYTES + 1))
        response, closed = read_until_closed(sock)

    status, headers = head_of(response)
    assert status == 431
    assert headers["connection"] == "close"
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-request-id"]
    assert closed


def test_a_head_that_never_ends_is_refused_while_it_streams(served):
    """Not buffered to the end: a head of 8 MiB sent on and on is refused after the limit."""
    with served.connect() as sock:
        sent = send_what_it_takes(sock, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 8 * 1024 * 1024)
        response, closed = read_until_closed(sock)

    assert head_of(response)[0] == 431
    assert closed
    assert sent < 8 * 1024 * 1024


def trickle_until_closed(sock: socket.socket, data: bytes, *, every: float, seconds: float) -> bool:
    """Send `data` a byte at a time, one every `every` seconds; whether the server closed the
    connection within `seconds`."""
    deadline = time.monotonic() + seconds
    for byte in data:
        if time.monotonic() > deadline:
            return False
        if send_what_it_takes(sock, bytes([byte])) == 0 or read_until_closed(sock, seconds=every)[1]:
            return True
    return False


@pytest.mark.parametrize("pace", ["idle", "one byte at a time"])
def test_a_head_not_received_within_the_timeout_closes_the_connection(served, pace):
    started = time.monotonic()
    with served.connect() as sock:
        if pace == "idle":
            closed = read_until_closed(sock, seconds=HEADERS_TIMEOUT_SECONDS + 2)[1]
        else:
            head = b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 1000
            closed = trickle_until_closed(sock, head, every=0.1, seconds=HEADERS_TIMEOUT_SECONDS + 2)
        waited = time.monotonic() - started

    assert closed, f"still open after {waited:.1f} s"
    assert HEADERS_TIMEOUT_SECONDS * 0.9 <= waited < HEADERS_TIMEOUT_SECONDS + 1.5


def chunked_upload_head(path: str = "/api/v1/applications") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: configsvc.test\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()


def chunk(size: int) -> bytes:
    return b"%x\r\n" % size + b" " * size + b"\r\n"


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
def test_after_a_413_the_connection_is_closed_and_the_body_no_longer_read(served, framing):
    with served.connect() as sock:
        if framing == "chunked":
            sock.sendall(chunked_upload_head())
            send_what_it_takes(sock, chunk(16384) * (MAX_BODY_BYTES // 16384 + 2))
        else:
            sock.sendall(
                b"POST /api/v1/applications HTTP/1.1\r\nHost: configsvc.test\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (64 * 1024 * 1024)
            )
        status, headers = read_response(sock)
        # Whatever follows is not read: sending on fails once the server has closed its end.
        more = chunk(65536) * 1024 if framing == "chunked" else b" " * (64 * 1024 * 1024)
        sent = send_what_it_takes(sock, more)
        _, closed = read_until_closed(sock)

    assert status == 413
    assert headers["connection"] == "close"
    assert closed
    assert sent < len(more) // 2, f"the server read {sent} more bytes after its 413"


def test_an_answer_given_before_the_body_was_read_closes_the_connection(served):
    """Not only 413: here a 404 for a POST whose (long) body the service has no reason to read."""
    with served.connect() as sock:
        sock.sendall(chunked_upload_head("/api/v1/nowhere") + chunk(100))
        status, headers = read_response(sock)
        sent = send_what_it_takes(sock, chunk(65536) * 1024)

    assert status == 404
    assert headers["connection"] == "close"
    assert sent < 32 * 1024 * 1024


def test_a_request_whose_body_was_read_keeps_its_connection(served):
    body = b'{"name": "kept-alive-%d"}' % served.address[1]
    with served.connect() as sock:
        for expected in (201, 409):
            sock.sendall(
                b"POST /api/v1/applications HTTP/1.1\r\nHost: configsvc.test\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            status, headers = read_response(sock)
            assert status == expected
            assert headers.get("connection") != "close"


CONNECTIONS = 50
OVERSIZED_HEAD_BYTES = 2 * 1024 * 1024


def test_fifty_oversized_heads_leave_the_workers_memory_where_it_was(serve):
    workers = worker_pids(serve.pid)
    assert len(workers) == 2
    with serve.connect() as sock:  # each worker's memory as it is once serving
        sock.sendall(request_head(1024))
        read_response(sock)
    before = {pid: rss_mb(pid) for pid in workers}

    sockets = [serve.connect() for _ in range(CONNECTIONS)]
    try:
        for sock in sockets:
            sock.settimeout(0.5)
            send_what_it_takes(sock, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * OVERSIZED_HEAD_BYTES)
        time.sleep(0.5)  # let the workers take in what was sent
        after = {pid: rss_mb(pid) for pid in workers}
        grown = sum(after[pid] - before[pid] for pid in workers)
        print(f"workers' RSS before {before} MB, after {CONNECTIONS} oversized heads {after} MB: {grown:+.1f} MB")
        assert grown < 20
        assert all(head_of(read_until_closed(sock, seconds=1)[0])[0] == 431 for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
