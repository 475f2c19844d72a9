"""Request ids: the one a client (or its gateway) sent when it is well-formed, else a new one; and
the URI a problem's `instance` names it by."""

import os
import re

HEADER = "X-Request-ID"
_HEADER = HEADER.lower().encode()
# Letters, digits and `._:-`: what gateways and tracing systems put there (UUIDs, ULIDs, W3C trace
# ids, `host:pid:counter`), and nothing that needs escaping in a log line, a header or a URN.
PATTERN = "^[A-Za-z0-9._:-]{1,128}$"
_WELL_FORMED = re.compile(PATTERN.encode())
# Every kept character is a URN pchar (RFC 8141), so the id goes in as it is and the result is a
# URI for any id: `urn:uuid:` was one only for the UUIDs the service made itself.
INSTANCE_PREFIX = "urn:configsvc:request:"


def new() -> str:
    """A random (version 4) UUID, as str(uuid.uuid4()) gives it, in a third of its time (every request
    without an id of its own makes one)."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def from_client(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The request's X-Request-ID, if it sent exactly one and that one is well-formed."""
    sent = [value for name, value in headers if name == _HEADER]
    if len(sent) == 1 and _WELL_FORMED.fullmatch(sent[0]):
        return sent[0].decode("ascii")
    return None


def instance(request_id: str) -> str:
    """The problem's `instance` for this request."""
    return INSTANCE_PREFIX + request_id
