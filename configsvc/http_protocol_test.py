"""The protocol driven byte by byte, as uvicorn's own tests drive theirs: a transport that records
what is written. `test/http_edge_test.py` tries the same against served processes."""

import asyncio
import json
import pickle
import re

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from configsvc.http_protocol import BoundedHttpToolsProtocol, http_protocol
from configsvc.settings import Settings

pytestmark = pytest.mark.anyio

LIMIT = 2048


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.writes: list[bytes] = []
        self.closed = False
        self.reading = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: bytes) -> None:
        self.written += data
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


async def app(scope, receive, send) -> None:
    """Reads the whole body of a POST to /read, none of anything else's; answers 200 with its size."""
    size = 0
    if scope["path"] == "/fail-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        raise RuntimeError("the app failed mid-response")
    if scope["path"] == "/read":
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(str(size)))]})
    await send({"type": "http.response.body", "body": str(size).encode()})


def connect(*, limit: int = LIMIT, timeout: float = 30) -> tuple[BoundedHttpToolsProtocol, Transport]:
    config = Config(app=app, lifespan="off", log_config=None)
    protocol = BoundedHttpToolsProtocol(
        config=config, server_state=ServerState(), app_state={}, max_header_bytes=limit, headers_timeout=timeout
    )
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


def head(size: int, path: str = "/") -> bytes:
    """A GET head of exactly `size` bytes."""
    start, end = f"GET {path} HTTP/1.1\r\nHost: configsvc.test\r\nX-Pad: ".encode(), b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def statuses(written: bytes) -> list[int]:
    return [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", written)]


@pytest.mark.parametrize("piece", [1, 7, 1000, 1_000_000])
async def test_a_head_of_exactly_the_limit_is_served_and_one_byte_more_is_431(piece):
    for size, expected in ((LIMIT, 200), (LIMIT + 1, 431)):
        protocol, transport = connect()
        data = head(size)
        for at in range(0, len(data), piece):
            protocol.data_received(data[at : at + piece])
            if transport.closed:
                break
        await settle()

        assert statuses(transport.written) == [expected], (size, piece)
        assert transport.closed == (expected == 431)


async def test_the_431_is_a_problem_with_a_request_id_and_closes_the_connection():
    protocol, transport = connect()

    protocol.data_received(head(LIMIT + 100))

    head_part, body = transport.written.split(b"\r\n\r\n", 1)
    lines = head_part.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    problem = json.loads(body)
    assert lines[0] == "HTTP/1.1 431 Request Header Fields Too Large"
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    assert problem["status"] == 431
    assert problem["instance"] == f"urn:configsvc:request:{headers['x-request-id']}"
    assert str(LIMIT) in problem["detail"]
    assert transport.closed


async def test_an_unfinished_head_is_refused_once_past_the_limit_not_buffered_to_its_end():
    protocol, transport = connect()

    protocol.data_received(b"GET / HTTP/1.1\r\nX-Big: ")
    for _ in range(LIMIT // 100 + 1):
        protocol.data_received(b"a" * 100)

    assert statuses(transport.written) == [431]
    assert transport.closed


async def test_a_long_url_counts_as_much_as_a_long_header():
    protocol, transport = connect()

    protocol.data_received(b"GET /" + b"a" * LIMIT + b" HTTP/1.1\r\n\r\n")

    assert statuses(transport.written) == [431]


async def test_many_small_pipelined_requests_in_one_read_are_not_one_big_head():
    protocol, transport = connect()
    requests = head(200) * (3 * LIMIT // 200)

    protocol.data_received(requests + head(200)[:100])  # ... and the start of one more
    for _ in range(len(requests) // 200):
        await settle()
    protocol.data_received(head(200)[100:])
    for _ in range(10):
        await settle()

    assert statuses(transport.written) == [200] * (len(requests) // 200 + 1)
    assert not transport.closed


@pytest.mark.parametrize("size", [200, LIMIT + 1])
async def test_a_head_after_a_body_in_the_same_read_is_bounded_too(size):
    protocol, transport = connect()
    post = b"POST /read HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"

    protocol.data_received(post + head(size))
    for _ in range(3):
        await settle()

    if size <= LIMIT:
        assert statuses(transport.written) == [200, 200]
        assert not transport.closed
    else:  # behind a response not yet written: closed without a 431, which would precede it
        assert transport.closed
        assert 431 not in statuses(transport.written)


async def test_a_head_not_complete_within_the_timeout_closes_the_connection():
    protocol, transport = connect(timeout=0.2)
    protocol.data_received(b"GET / HTTP/1.1\r\n")

    for _ in range(4):  # a byte every 0.1 s does not keep it open
        await asyncio.sleep(0.1)
        if not transport.closed:
            protocol.data_received(b"X")

    assert transport.closed
    assert transport.written == b""


async def test_a_connection_that_sends_nothing_is_closed_after_the_timeout():
    _, transport = connect(timeout=0.1)

    await asyncio.sleep(0.2)

    assert transport.closed


async def test_the_timeout_runs_per_head_not_per_connection():
    protocol, transport = connect(timeout=0.3)

    for _ in range(4):  # 0.4 s in all, each head well within 0.3 s
        protocol.data_received(head(100))
        await asyncio.sleep(0.1)

    assert statuses(transport.written) == [200] * 4
    assert not transport.closed
    protocol.connection_lost(None)
    assert protocol.head_timer is None


async def test_an_answer_before_the_body_arrived_closes_the_connection():
    protocol, transport = connect()

    protocol.data_received(b"POST /ignore HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
    await settle()

    assert statuses(transport.written) == [200]
    assert b"\r\nconnection: close\r\n" in transport.written
    assert transport.closed


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /read HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        b"POST /read HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"POST /ignore HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",  # unread, but all here: nothing to stop
        b"GET / HTTP/1.1\r\n\r\n",
    ],
)
async def test_a_request_whose_body_has_arrived_keeps_its_connection(request_bytes):
    protocol, transport = connect()

    protocol.data_received(request_bytes)
    await settle()

    assert statuses(transport.written) == [200]
    assert b"connection: close" not in transport.written
    assert not transport.closed


async def test_a_body_completed_during_shutdown_does_not_keep_the_connection():
    protocol, transport = connect()
    protocol.data_received(b"POST /read HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234")
    await settle()

    protocol.shutdown()  # uvicorn's graceful shutdown: finish this request, keep nothing open
    protocol.data_received(b"56789")
    await settle()

    assert statuses(transport.written) == [200]
    assert transport.closed


def test_the_settings_reach_the_protocol_and_survive_the_trip_to_a_worker():
    settings = Settings(_env_file=None, max_header_bytes=4096, headers_timeout_seconds=2.5)

    factory = pickle.loads(pickle.dumps(http_protocol(settings)))  # as uvicorn hands it to its workers

    assert factory.func is BoundedHttpToolsProtocol
    assert factory.keywords == {"max_header_bytes": 4096, "headers_timeout": 2.5}


async def test_a_response_goes_out_in_one_write_head_and_body_together():
    protocol, transport = connect()
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await settle()
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\n0")
    assert not transport.closed


async def test_pipelined_responses_each_go_out_whole_and_in_order():
    protocol, transport = connect()
    protocol.data_received(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    await settle()
    assert [statuses(write) for write in transport.writes] == [[200], [200]]
    assert all(write.endswith(b"\r\n\r\n0") for write in transport.writes)


async def test_a_head_request_gets_its_head_though_no_body_follows():
    protocol, transport = connect()
    protocol.data_received(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    await settle()
    assert statuses(transport.written) == [200]
    assert transport.written.endswith(b"\r\n\r\n")
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # and the connection goes on
    await settle()
    assert statuses(transport.written) == [200, 200]


async def test_a_100_continue_goes_out_at_once_before_the_response():
    protocol, transport = connect()
    protocol.data_received(b"POST /read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    await settle()
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    protocol.data_received(b"abc")
    await settle()
    assert statuses(transport.writes[1]) == [200]
    assert transport.writes[1].endswith(b"\r\n\r\n3")


async def test_a_response_whose_body_never_comes_still_sends_its_head_before_the_close():
    protocol, transport = connect()
    protocol.data_received(b"GET /fail-after-start HTTP/1.1\r\nHost: x\r\n\r\n")
    await settle()
    assert statuses(transport.written) == [200]
    assert transport.closed
