import re
import uuid

import pytest

from configsvc import request_ids

# RFC 3986: a URI is scheme ":" hier-part; an URN's hier-part is a path of pchars (and "/").
PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
URI = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:{PCHAR}+(?:/{PCHAR}*)*")


def headers(*values: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"host", b"configsvc.test"), *((b"x-request-id", value) for value in values)]


@pytest.mark.parametrize(
    "sent",
    [b"a", b"0" * 128, b"01JD8X7Q5V9T0M3K2R6W4Y1Z8N", b"4bf92f3577b34da6a3ce929d0e0e4736", b"gw-1:4711:a.b_c", b"::"],
)
def test_a_well_formed_id_is_kept(sent):
    assert request_ids.from_client(headers(sent)) == sent.decode()


@pytest.mark.parametrize(
    "sent",
    [
        [],
        [b""],
        [b"0" * 129],
        [b"has space"],
        [b"semi;colon"],
        [b"slash/"],
        [b"caf\xc3\xa9"],
        [b"abc\t"],
        [b"one", b"two"],  # which one would the logs carry?
    ],
)
def test_anything_else_is_not(sent):
    assert request_ids.from_client(headers(*sent)) is None


def test_a_new_id_is_a_uuid_that_would_be_kept():
    made = request_ids.new()

    assert str(uuid.UUID(made)) == made
    assert request_ids.from_client(headers(made.encode())) == made


def test_new_ids_are_random_version_4_uuids():
    made = [uuid.UUID(request_ids.new()) for _ in range(2000)]

    assert all(made_id.version == 4 and made_id.variant == uuid.RFC_4122 for made_id in made)
    assert len(set(made)) == len(made)
    assert {str(made_id)[19] for made_id in made} == set("89ab")  # every variant digit occurs


@pytest.mark.parametrize("request_id", ["a", "-", "::", "A.b_c-d:e", "0" * 128, str(uuid.uuid4())])
def test_the_instance_is_a_uri_for_any_kept_id(request_id):
    instance = request_ids.instance(request_id)

    assert URI.fullmatch(instance), instance
    assert instance == f"urn:configsvc:request:{request_id}"
