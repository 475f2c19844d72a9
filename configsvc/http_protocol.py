"""The HTTP/1.1 connection: uvicorn's httptools protocol with bounds on what a client can make a
worker read and hold.

uvicorn sets none on the request head: httptools buffers a header however long it grows (10
connections with 16 MiB heads took a worker from 68 to 258 MB), and a head that arrives a byte a
second keeps its connection open for ever. After an answer given before the request's body was
read (a 413, a 404 for a POST), uvicorn keeps the connection and reads on, discarding, whatever the
client sends. This subclass adds:

- a head (request line and headers) larger than `max_header_bytes` is answered 431 and the
  connection closed, as soon as the limit is passed, not when the head ends;
- a head not received whole within `headers_timeout` seconds of its first byte (or of the
  connection's opening) closes the connection, however slowly it keeps coming;
- an answer that starts before the request's body has arrived whole says `Connection: close`, and
  the connection is closed after it: nothing more of that body is read.
It also sends a response's head and the start of its body in one write (see `HeadWithBody`).
"""

import asyncio
import functools
import http
import logging
from asyncio import TimerHandle
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from configsvc import request_ids
from configsvc.api.http.problems import PROBLEM_MEDIA_TYPE, problem_body
from configsvc.settings import Settings

log = logging.getLogger("configsvc.requests")

# What a head holds beside its method, URL and header names and values, as a client writes it with
# nothing optional: " " and " HTTP/1.1\r\n" around the URL, ": " and "\r\n" per header, and the
# blank line that ends it. What is counted is then never more than the bytes sent.
_REQUEST_LINE_BYTES = len(" ") + len(" HTTP/1.1\r\n")
_HEADER_LINE_BYTES = len(": \r\n")
_END_OF_HEAD_BYTES = len("\r\n")


class HeadTooLarge(Exception):
    """Raised inside httptools' callbacks to stop parsing a head that is past the limit."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Every request costs what it did, but for a few attribute updates: the head's size is counted
    by reads, not header by header, and a timer runs only while a head is incomplete at the end of
    a read (and from a connection's opening to its first head)."""

    def __init__(self, *args: Any, max_header_bytes: int, headers_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_header_bytes = max_header_bytes
        self.headers_timeout = headers_timeout
        self.head_timer: TimerHandle | None = None
        # Where the parser is: in a message at all, and within its head (between messages, the
        # next bytes begin a head; in a body, they do not); and how many heads it has begun.
        self.in_message = False
        self.in_head = False
        self.heads_begun = 0
        # Bytes of the head being received that came in earlier reads, and whether that is only an
        # estimate (for a head that began after other messages within a read); the current read's size.
        self.received = 0
        self.estimated = False
        self.read_size = 0
        # What the request asked for its connection, restored once its body has arrived whole.
        self.keep_alive_after_body = True
        self.shutting_down = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()  # a connection that never sends a byte is a head that never arrives

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        self.shutting_down = True  # so that a body arriving now does not make the connection kept
        super().shutdown()

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with the head's bounds around feed_data (its try/except cannot be reused:
        # it answers every parser error 400, a head too large included).
        self._unset_keepalive_if_required()
        if self.transport.is_closing():
            return
        idle, continued, heads_begun = not self.in_message, self.in_head, self.heads_begun
        self.read_size = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, HeadTooLarge):
                self._refuse_head()
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        began = self.heads_begun - heads_begun
        if self.in_head:
            if continued and began == 0:
                self.received += len(data)
            elif idle and began == 1:  # this read is all head
                self.received = len(data)
            else:  # it began after other messages in this read: what httptools passed on of it
                self.received, self.estimated = self._head_size(method=b""), True
            if self.received > self.max_header_bytes:
                self._refuse_head()
                return
            self._start_head_timer()
        elif idle and began == 0:  # bytes between requests that began none (blank lines)
            self._start_head_timer()

    # httptools' callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_message = self.in_head = True
        self.heads_begun += 1
        self.received, self.estimated = 0, False

    def on_headers_complete(self) -> None:
        # The head ended within this read: it is at most what came before plus this read, and only
        # when that is over the limit is it measured.
        might_be_over = self.estimated or self.received + self.read_size > self.max_header_bytes
        if might_be_over and self._head_size(method=self.parser.get_method()) > self.max_header_bytes:
            raise HeadTooLarge
        self.in_head = False
        self._stop_head_timer()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.scope is self.scope:  # not a WebSocket upgrade
            # Until its body has arrived whole, a request's connection is not kept: an answer given
            # before then (a 413, a 404 for a POST) says `Connection: close` and uvicorn closes the
            # connection after it, where it would read on, and throw away, all the client sends.
            self.keep_alive_after_body = self.cycle.keep_alive
            self.cycle.keep_alive = False
            self.cycle.transport = HeadWithBody(self.transport, self.cycle)  # type: ignore[assignment]

    def on_response_complete(self) -> None:
        if self.cycle is not None and isinstance(self.cycle.transport, HeadWithBody):
            self.cycle.transport.flush()  # a HEAD response's head: it has no body to go with
        super().on_response_complete()

    def on_message_complete(self) -> None:
        self.in_message = False
        super().on_message_complete()
        ours = self.cycle is not None and self.cycle.scope is self.scope
        if ours and not self.cycle.response_started and not self.shutting_down:
            self.cycle.keep_alive = self.keep_alive_after_body

    def _head_size(self, *, method: bytes) -> int:
        """The head parsed so far, in bytes as written with nothing optional."""
        fields = sum(len(name) + len(value) for name, value in self.headers)
        return (
            len(method)
            + len(self.url)
            + _REQUEST_LINE_BYTES
            + fields
            + _HEADER_LINE_BYTES * len(self.headers)
            + _END_OF_HEAD_BYTES
        )

    # The head's bounds

    def _refuse_head(self) -> None:
        self._stop_head_timer()
        log.warning("request head over %d bytes from %s refused (431)", self.max_header_bytes, _peer(self))
        if self.pipeline or (self.cycle is not None and not self.cycle.response_complete):
            # A pipelined head behind responses still to be written: a 431 now would come before
            # them, or inside one. A client that pipelines an oversized head loses the connection.
            self.transport.close()
            return
        request_id = request_ids.new()
        status = int(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        body = problem_body(status, f"the request head exceeds {self.max_header_bytes} bytes", request_id)
        head = [STATUS_LINE[status]]
        for name, value in [
            *self.server_state.default_headers,
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (request_ids.HEADER.lower().encode(), request_id.encode()),
        ]:
            head += [name, b": ", value, b"\r\n"]
        self.transport.write(b"".join([*head, b"\r\n", body]))
        self.transport.close()

    def _start_head_timer(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.headers_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A response is still being made (a held watch): the connection is busy, not stalled.
            # What the client sent behind it gets its time again.
            self._start_head_timer()
            return
        if self.in_head:  # not for a connection that sent nothing (a browser's preconnect, a probe)
            log.info("request head not received within %g s from %s; closed", self.headers_timeout, _peer(self))
        self.transport.close()


class HeadWithBody:
    """The connection as one request's response cycle sees it: the response's head (status line
    and headers) is held until the first bytes of its body, and both leave in one write. uvicorn
    writes them apart: for a small response, two send(2) calls and (TCP_NODELAY) two segments, which
    the client reads apart too. Anything written before the response starts (a 100 Continue) goes
    at once; a head whose body never comes leaves when the response completes, or before a close."""

    __slots__ = ("_cycle", "_head", "_head_seen", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: Any) -> None:
        self._transport = transport
        self._cycle = cycle
        self._head: bytes | None = None
        self._head_seen = False

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif not self._head_seen and self._cycle.response_started:
            self._head, self._head_seen = data, True  # uvicorn writes the head when the response starts
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:  # anything else a cycle may ask of its transport
        return getattr(self._transport, name)


def _peer(protocol: HttpToolsProtocol) -> str:
    return "{}:{}".format(*protocol.client) if protocol.client else "a client"


def http_protocol(settings: Settings) -> Any:
    """What to pass uvicorn as `http=`: the protocol class with the settings' bounds, picklable, so
    that `make serve`'s worker processes get it too."""
    return functools.partial(
        BoundedHttpToolsProtocol,
        max_header_bytes=settings.max_header_bytes,
        headers_timeout=settings.headers_timeout_seconds,
    )
