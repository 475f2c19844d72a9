from datetime import UTC, datetime, timedelta

import pytest

from configsvc.access.principal import OPEN, InvalidScope, Principal, parse_scope


def test_scopes_as_given_name_an_application_by_name_or_id_or_every_one():
    assert parse_scope("admin") == ("admin", None)
    assert parse_scope("metrics") == ("metrics", None)
    assert parse_scope("read:*") == ("read", "*")
    assert parse_scope("write:payments eu") == ("write", "payments eu")
    for bad in ("", "read", "read:", "delete:x", "Admin", "write:" + "x" * 257, "metrics:x"):
        with pytest.raises(InvalidScope):
            parse_scope(bad)


def test_write_implies_read_and_an_application_scope_is_that_application_only():
    ci = Principal.of_token("T", "ci", ["write:A", "read:B"], None)
    assert (ci.may_read("A"), ci.may_write("A")) == (True, True)
    assert (ci.may_read("B"), ci.may_write("B")) == (True, False)
    assert (ci.may_read("C"), ci.may_write("C")) == (False, False)
    assert not ci.admin
    assert not ci.metrics
    assert ci.readable_applications() == {"A", "B"}


def test_admin_may_do_everything_and_read_all_reads_every_application_but_writes_none():
    admin = Principal.of_token("T", "root", ["admin"], None)
    assert admin.may_write("anything")
    assert admin.metrics
    assert admin.readable_applications() is None
    reader = Principal.of_token("T", "dashboards", ["read:*"], None)
    assert reader.may_read("anything")
    assert not reader.may_write("anything")
    assert not reader.write_all


def test_expiry_and_the_actor_recorded():
    soon = datetime.now(UTC) + timedelta(minutes=1)
    token = Principal.of_token("T", "ci", ["read:*"], soon)
    assert not token.expired()
    assert token.expired(soon)
    assert token.actor == {"token_id": "T", "name": "ci"}


def test_without_enforcement_everything_is_allowed_and_nobody_is_recorded():
    assert OPEN.may_write("anything")
    assert OPEN.admin
    assert OPEN.actor is None
    assert not OPEN.enforced
