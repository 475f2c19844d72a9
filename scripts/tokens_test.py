import json

import pytest

from configsvc.access.secrets import has_the_shape
from scripts import tokens
from test.sql import sql


@pytest.fixture
def configured(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_create_prints_the_secret_alone_and_stores_only_its_digest(configured, capsys):
    assert tokens.main(["create", "ci", "--scope", "write:*", "--scope", "metrics"]) == 0

    secret = capsys.readouterr().out.strip()
    assert has_the_shape(secret)
    [(name, scopes, stored)] = sql(configured, "SELECT name, scopes, secret_sha256 FROM tokens")
    assert (name, scopes) == ("ci", ["write:*", "metrics"])
    assert secret.encode() not in bytes(stored)
    assert sql(configured, "SELECT enforced FROM access_control") == [(True,)]  # the first token turns it on
    [(action, request_id)] = sql(configured, "SELECT action, request_id FROM audit_events")
    assert (action, request_id) == ("token.create", "scripts.tokens")


def test_scopes_name_applications_by_name_or_id_and_store_ids(configured, capsys):
    sql(configured, "INSERT INTO applications (id, name) VALUES ('01JD8X7Q5V9T0M3K2R6W4Y1Z8N', 'payments')")
    assert (
        tokens.main(["create", "svc", "--scope", "read:payments", "--scope", "write:01jd8x7q5v9t0m3k2r6w4y1z8n"]) == 0
    )
    assert sql(configured, "SELECT scopes FROM tokens") == [
        (["read:01JD8X7Q5V9T0M3K2R6W4Y1Z8N", "write:01JD8X7Q5V9T0M3K2R6W4Y1Z8N"],)
    ]


def test_list_revoke_and_disable(configured, capsys):
    tokens.main(["create", "first", "--scope", "admin", "--expires-in", "1"])
    tokens.main(["create", "second", "--scope", "read:*"])
    capsys.readouterr()

    assert tokens.main(["list"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [token["name"] for token in listed] == ["first", "second"]
    assert listed[0]["expires_at"] is not None
    assert all("secret" not in line and "token" not in token for token in listed for line in token)

    assert tokens.main(["revoke", "second"]) == 0
    assert sql(configured, "SELECT name FROM tokens WHERE revoked_at IS NOT NULL") == [("second",)]
    assert tokens.main(["disable"]) == 0
    assert sql(configured, "SELECT enforced FROM access_control") == [(False,)]
    assert "off until the next token" in capsys.readouterr().err


def test_what_cannot_be_done_says_why_in_one_line(configured, capsys):
    assert tokens.main(["create", "bad", "--scope", "delete:*"]) == 1
    assert tokens.main(["create", "ghost", "--scope", "read:no-such-application"]) == 1
    assert tokens.main(["revoke", "nobody"]) == 1
    tokens.main(["create", "twice", "--scope", "admin"])
    assert tokens.main(["create", "twice", "--scope", "admin"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(errors) == 4
    assert all(line.startswith("tokens: ") for line in errors)
    with pytest.raises(SystemExit):
        tokens.main(["create", "no-scope"])
