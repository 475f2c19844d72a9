from datetime import UTC, datetime, timedelta

import pytest

from configsvc.access.principal import OPEN, Principal
from configsvc.access.secrets import digest, new_secret
from configsvc.api.http.auth import bearer_digest, may_write, readable_value, valid
from configsvc.errors import Forbidden, NotFound, Unauthenticated
from configsvc.representations import Representation
from configsvc.views.access import Credential
from configsvc.views.answer import Answer

APP, OTHER = "01JAPP00000000000000000000", "01JOTHER000000000000000000"


def test_only_a_well_formed_bearer_token_is_looked_up_by_its_digest():
    secret = new_secret()

    assert bearer_digest(None) is None
    assert bearer_digest(f"Bearer {secret}") == bearer_digest(f"bearer \t{secret} ") == digest(secret)
    for forged in (f"Basic {secret}", "Bearer", f"Bearer {secret}x", f"Bearer {secret[:-1]}", "Bearer cfgsvc_"):
        with pytest.raises(Unauthenticated):
            bearer_digest(forged)


def test_a_revoked_or_expired_token_is_refused_like_an_unknown_one():
    reader = Principal.of_token("01JTOKEN0000000000000000AA", "svc", [f"read:{APP}"], None)
    expired = Principal.of_token("01JTOKEN0000000000000000AA", "svc", ["read:*"], datetime.now(UTC) - timedelta(1))

    assert valid(Answer.found(Credential(reader, None))) == reader
    refusals = [
        Answer.found(Credential(reader, datetime.now(UTC))),
        Answer.found(Credential(expired, None)),
        Answer.not_found("unknown token"),
    ]
    messages = set()
    for answer in refusals:
        with pytest.raises(Unauthenticated) as refused:
            valid(answer)
        messages.add(str(refused.value))
    assert len(messages) == 1  # never says which


def test_a_reader_gets_403_for_a_write_and_a_stranger_what_a_missing_one_gets():
    reader = Principal.of_token("01JTOKEN0000000000000000AA", "svc", [f"read:{APP}"], None)
    missing = NotFound("no such application")

    may_write(OPEN, APP, absent=missing)
    with pytest.raises(Forbidden):
        may_write(reader, APP, absent=missing)
    with pytest.raises(NotFound):
        may_write(reader, OTHER, absent=missing)


def test_what_a_token_may_not_read_is_absent_for_it():
    reader = Principal.of_token("01JTOKEN0000000000000000AA", "svc", [f"read:{APP}"], None)
    mine, theirs = Representation(b"{}", '"1"', APP), Representation(b"{}", '"1"', OTHER)

    assert readable_value(reader, Answer.found(mine), "absent") == mine
    with pytest.raises(NotFound, match="absent"):
        readable_value(reader, Answer.found(theirs), "absent")
    # A missing configuration by name: said as such only to a token that may read its application.
    with pytest.raises(NotFound, match="no such configuration"):
        readable_value(reader, Answer.not_found("no such configuration", APP), "absent")
    with pytest.raises(NotFound, match="absent"):
        readable_value(reader, Answer.not_found("no such configuration", OTHER), "absent")


def test_a_header_seen_lately_gives_its_digest_again_and_the_memory_is_bounded(monkeypatch):
    from configsvc.api.http import auth

    monkeypatch.setattr(auth, "_RECENT_DIGESTS", {})
    monkeypatch.setattr(auth, "MAX_RECENT_DIGESTS", 3)
    secrets = [new_secret() for _ in range(4)]
    for secret in secrets:
        assert bearer_digest(f"Bearer {secret}") == digest(secret)
        assert bearer_digest(f"Bearer {secret}") == digest(secret)  # from memory
    assert list(auth._RECENT_DIGESTS) == [f"Bearer {secrets[3]}"]  # emptied when full
    with pytest.raises(Unauthenticated):
        bearer_digest("Basic " + secrets[3])  # a malformed header is refused, and not remembered
    assert len(auth._RECENT_DIGESTS) == 1
