"""Access control over HTTP: tokens, enforcement, scopes, and the attacker's inputs."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio

API = "/api/v1"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def token(client, name: str, *scopes: str, as_: str | None = None, **more) -> str:
    headers = bearer(as_) if as_ else {}
    response = await client.post(f"{API}/tokens", json={"name": name, "scopes": list(scopes)} | more, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["token"]


async def application(client, name: str, admin: str) -> dict:
    response = await client.post(f"{API}/applications", json={"name": name}, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return response.json()


def assert_unauthenticated(response, *, token_sent: bool) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    challenge = 'Bearer realm="configsvc"' + (', error="invalid_token"' if token_sent else "")
    assert response.headers["www-authenticate"] == challenge


async def test_without_tokens_everything_is_open_and_the_first_token_turns_enforcement_on_for_good(client):
    assert (await client.post(f"{API}/applications", json={"name": "open"})).status_code == 201
    assert (await client.get("/readyz")).json()["access_control"] == "off"

    root = await token(client, "root", "admin")

    assert_unauthenticated(await client.get(f"{API}/applications"), token_sent=False)
    assert_unauthenticated(await client.post(f"{API}/applications", json={"name": "x"}), token_sent=False)
    assert (await client.get(f"{API}/applications", headers=bearer(root))).status_code == 200
    assert (await client.get("/readyz")).json()["access_control"] == "enforced"
    for open_path in ("/healthz", "/readyz", "/docs", "/redoc", "/openapi.json"):
        assert (await client.get(open_path)).status_code == 200, open_path
    # Revoking every token does not open the service again.
    me = (await client.get(f"{API}/tokens/current", headers=bearer(root))).json()
    assert (await client.delete(f"{API}/tokens/{me['id']}", headers=bearer(root))).status_code == 204
    assert_unauthenticated(await client.get(f"{API}/applications"), token_sent=False)
    assert_unauthenticated(await client.get(f"{API}/applications", headers=bearer(root)), token_sent=True)


async def test_auth_required_enforces_before_any_token_exists(database_url):
    async with app_client(create_app(settings_for(database_url, auth_required=True))) as client:
        assert_unauthenticated(await client.get(f"{API}/applications"), token_sent=False)
        assert_unauthenticated(await client.get(f"{API}/configurations/{'0' * 26}"), token_sent=False)  # fast path too
        assert (await client.get("/readyz")).json()["access_control"] == "enforced"


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "cfgsvc_" + "A" * 43,  # no scheme
        "Bearer cfgsvc_" + "A" * 42,  # the prefix, one character short
        "Bearer cfgsvc_" + "A" * 44,
        "Bearer " + "x" * 10_000,
        "Bearer cfgsvc_" + "é" * 43,
        "Bearer\tcfgsvc_" + "A" * 43 + " extra",
        "Bearer cfgsvc_" + "A" * 43,  # well formed, unknown
    ],
)
async def test_a_malformed_or_unknown_authorization_is_a_401_that_never_says_more(client, authorization):
    await token(client, "root", "admin")

    for path in (f"{API}/applications", f"{API}/configurations/{'0' * 26}", f"{API}/tokens/current"):
        response = await client.get(path, headers={"Authorization": authorization.encode()})
        assert_unauthenticated(response, token_sent=True)
        assert response.json()["detail"] in (
            "the token is not valid (unknown, expired, revoked or malformed)",
            "no token was sent: Authorization: Bearer <token>",
        )


async def test_an_expired_token_is_refused_like_an_unknown_one(client):
    root = await token(client, "root", "admin")
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    short = await token(client, "short", "read:*", as_=root, expires_at=soon)
    assert (await client.get(f"{API}/applications", headers=bearer(short))).status_code == 200

    import asyncio

    await asyncio.sleep(1.1)
    assert_unauthenticated(await client.get(f"{API}/applications", headers=bearer(short)), token_sent=True)
    past = await client.post(
        f"{API}/tokens",
        json={"name": "past", "scopes": ["admin"], "expires_at": 0},
        headers=bearer(root),
    )
    assert past.status_code == 422  # a time is RFC 3339 text, not a number


async def test_scopes_decide_what_a_token_may_read_and_change(client):
    root = await token(client, "root", "admin")
    payments = await application(client, "payments", root)
    billing = await application(client, "billing", root)
    config = (
        await client.post(
            f"{API}/configurations",
            json={"application_id": payments["id"], "name": "production"},
            headers=bearer(root),
        )
    ).json()
    hidden = (
        await client.post(
            f"{API}/configurations", json={"application_id": billing["id"], "name": "secret"}, headers=bearer(root)
        )
    ).json()
    reader = await token(client, "reader", "read:payments", as_=root)
    writer = await token(client, "ci", f"write:{payments['id']}", as_=root)

    as_reader, as_writer = bearer(reader), bearer(writer)
    # Readable: every way of reading it.
    assert (await client.get(f"{API}/configurations/{config['id']}", headers=as_reader)).status_code == 200
    by_name = {"application": "payments", "name": "production"}
    assert (await client.get(f"{API}/configurations/by-name", params=by_name, headers=as_reader)).status_code == 200
    assert (await client.get(f"{API}/applications/{payments['id']}", headers=as_reader)).status_code == 200
    assert (await client.get(f"{API}/configurations/{config['id']}/revisions", headers=as_reader)).status_code == 200
    # Read, not write: 403.
    replace = {"name": "production", "config": {"v": 2}}
    assert (
        await client.put(f"{API}/configurations/{config['id']}", json=replace, headers=as_reader)
    ).status_code == 403
    assert (await client.delete(f"{API}/applications/{payments['id']}", headers=as_reader)).status_code == 403
    # Another application is absent, with everything under it.
    for path in (
        f"{API}/configurations/{hidden['id']}",
        f"{API}/applications/{billing['id']}",
        f"{API}/applications/{billing['id']}/configurations",
        f"{API}/configurations/{hidden['id']}/revisions",
        f"{API}/configurations/{hidden['id']}/revisions/1",
    ):
        response = await client.get(path, headers=as_reader)
        assert response.status_code == 404, path
    missing = await client.get(
        f"{API}/configurations/by-name", params={"application": "billing", "name": "secret"}, headers=as_reader
    )
    assert (missing.status_code, missing.json()["detail"]) == (404, "no application has this name")
    assert (
        await client.put(f"{API}/configurations/{hidden['id']}", json=replace, headers=as_writer)
    ).status_code == 404
    listed = (await client.get(f"{API}/applications", headers=as_reader)).json()
    assert [a["name"] for a in listed] == ["payments"]
    assert (await client.get(f"{API}/applications", params={"name": "billing"}, headers=as_reader)).json() == []
    # The writer may change its application, not create applications or configurations elsewhere.
    assert (
        await client.put(f"{API}/configurations/{config['id']}", json=replace, headers=as_writer)
    ).status_code == 200
    assert (await client.post(f"{API}/applications", json={"name": "new"}, headers=as_writer)).status_code == 403
    elsewhere = {"application_id": billing["id"], "name": "x"}
    assert (await client.post(f"{API}/configurations", json=elsewhere, headers=as_writer)).status_code == 422
    # Tokens and the audit's every event are the admin's.
    assert (await client.get(f"{API}/tokens", headers=as_writer)).status_code == 403
    assert (
        await client.post(f"{API}/tokens", json={"name": "n", "scopes": ["admin"]}, headers=as_writer)
    ).status_code == 403


async def test_a_renamed_application_keeps_its_tokens_and_a_new_one_with_the_old_name_gets_none(client):
    root = await token(client, "root", "admin")
    first = await application(client, "payments", root)
    reader = await token(client, "reader", "read:payments", as_=root)
    renamed = await client.put(f"{API}/applications/{first['id']}", json={"name": "payments-old"}, headers=bearer(root))
    assert renamed.status_code == 200
    second = await application(client, "payments", root)

    assert (await client.get(f"{API}/applications/{first['id']}", headers=bearer(reader))).status_code == 200
    assert (await client.get(f"{API}/applications/{second['id']}", headers=bearer(reader))).status_code == 404


async def test_the_tokens_api_shows_a_secret_once_and_never_again(client):
    root = await token(client, "root", "admin")
    created = await client.post(f"{API}/tokens", json={"name": "svc", "scopes": ["read:*"]}, headers=bearer(root))
    body = created.json()
    assert created.headers["location"] == f"{API}/tokens/{body['id']}"
    assert created.headers["cache-control"] == "no-store"

    listed = (await client.get(f"{API}/tokens", headers=bearer(root))).json()
    one = (await client.get(f"{API}/tokens/{body['id']}", headers=bearer(root))).json()
    current = (await client.get(f"{API}/tokens/current", headers=bearer(body["token"]))).json()

    assert [t["name"] for t in listed] == ["root", "svc"]
    assert all("token" not in t for t in [*listed, one, current])
    assert one == {key: value for key, value in body.items() if key != "token"}
    assert current == {"id": body["id"], "name": "svc", "scopes": ["read:*"]}
    taken = await client.post(f"{API}/tokens", json={"name": "svc", "scopes": ["read:*"]}, headers=bearer(root))
    assert taken.status_code == 409
    unknown = await client.post(f"{API}/tokens", json={"name": "x", "scopes": ["read:nope"]}, headers=bearer(root))
    assert (unknown.status_code, unknown.json()["errors"][0]["loc"]) == (422, ["body", "scopes"])
    # A NUL in a scope's application (the fuzz's finding: it was a 500 from PostgreSQL) is refused up front.
    nul = await client.post(f"{API}/tokens", json={"name": "y", "scopes": ["write:a\u0000b"]}, headers=bearer(root))
    assert (nul.status_code, nul.json()["errors"][0]["loc"]) == (422, ["body", "scopes", 0])


async def test_an_idempotency_key_is_scoped_to_its_token(client):
    root = await token(client, "root", "admin")
    other = await token(client, "other", "write:*", as_=root)
    key = {"Idempotency-Key": "deploy-1"}

    first = await client.post(f"{API}/applications", json={"name": "a"}, headers=bearer(root) | key)
    replay = await client.post(f"{API}/applications", json={"name": "a"}, headers=bearer(root) | key)
    theirs = await client.post(f"{API}/applications", json={"name": "a"}, headers=bearer(other) | key)

    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert theirs.status_code == 409  # not a replay of the other token's response: a create, refused
    assert "idempotent-replayed" not in theirs.headers


async def test_metrics_take_the_metrics_scope(client):
    root = await token(client, "root", "admin")
    scraper = await token(client, "prometheus", "metrics", as_=root)
    reader = await token(client, "reader", "read:*", as_=root)

    assert (await client.get("/metrics", headers=bearer(scraper))).status_code == 200
    assert (await client.get("/metrics", headers=bearer(reader))).status_code == 403
    assert_unauthenticated(await client.get("/metrics"), token_sent=False)


async def test_a_secret_never_reaches_a_log_line_a_problem_body_the_audit_or_the_metrics(client, caplog, database_url):
    caplog.set_level(logging.DEBUG)
    root = await token(client, "root", "admin")
    revoked = await token(client, "gone", "read:*", as_=root)
    gone_id = (await client.get(f"{API}/tokens/current", headers=bearer(revoked))).json()["id"]
    await client.delete(f"{API}/tokens/{gone_id}", headers=bearer(root))
    bodies = [
        (await client.get(f"{API}/applications", headers=bearer(revoked))).text,
        (await client.get(f"{API}/tokens", headers={"Authorization": f"Basic {revoked}"})).text,
        (await client.get(f"{API}/audit", headers=bearer(root))).text,
        (await client.get("/metrics", headers=bearer(root))).text,
    ]
    from test.sql import sql

    stored = repr(sql(database_url, "SELECT * FROM audit_events")) + repr(sql(database_url, "SELECT * FROM tokens"))
    for secret in (root, revoked):
        assert secret not in caplog.text
        assert all(secret not in body for body in bodies)
        assert secret not in stored
        assert secret[len("cfgsvc_") :] not in stored
