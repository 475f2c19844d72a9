"""Who changed what: an event per write, in the write's own transaction, seen by who may read it."""

import pytest

from configsvc.api.routes.tokens_test import API, application, bearer, token
from test.sql import sql

pytestmark = pytest.mark.anyio


async def test_every_write_records_its_actor_and_request_newest_first(client):
    root = await token(client, "root", "admin")
    app = await application(client, "payments", root)
    ci = await token(client, "ci", "write:payments", as_=root)
    headers = bearer(ci) | {"X-Request-ID": "deploy-42"}
    config = (
        await client.post(f"{API}/configurations", json={"application_id": app["id"], "name": "p"}, headers=headers)
    ).json()
    await client.put(f"{API}/configurations/{config['id']}", json={"name": "p", "config": {"v": 2}}, headers=headers)
    await client.post(f"{API}/configurations/{config['id']}/revisions/1/restore", headers=headers)
    await client.delete(f"{API}/configurations/{config['id']}", headers=headers)

    events = (await client.get(f"{API}/audit", headers=bearer(root))).json()

    assert [e["action"] for e in events] == [
        "configuration.delete",
        "configuration.restore",
        "configuration.replace",
        "configuration.create",
        "token.create",
        "application.create",
        "token.create",
    ]
    ci_id = (await client.get(f"{API}/tokens/current", headers=bearer(ci))).json()["id"]
    newest = events[0]
    assert newest["actor"] == {"token_id": ci_id, "name": "ci"}
    assert newest["request_id"] == "deploy-42"
    assert newest["resource"] == {"kind": "configuration", "id": config["id"]}
    assert (newest["application_id"], newest["version"]) == (app["id"], 3)
    assert events[-1]["actor"] is None  # the first token was made while access control was off
    history = (await client.get(f"{API}/configurations/{config['id']}/revisions", headers=bearer(ci))).json()
    assert [r["actor"] for r in history] == [{"token_id": ci_id, "name": "ci"}] * 3


async def test_a_token_sees_the_events_of_the_applications_it_may_read_and_pages_go_back_in_time(client):
    root = await token(client, "root", "admin")
    mine = await application(client, "mine", root)
    await application(client, "theirs", root)
    for n in range(3):
        await client.put(
            f"{API}/applications/{mine['id']}", json={"name": "mine", "comments": str(n)}, headers=bearer(root)
        )
    reader = await token(client, "reader", "read:mine", as_=root)

    seen = await client.get(f"{API}/audit", params={"limit": 2}, headers=bearer(reader))
    rest = await client.get(seen.headers["link"].split(";")[0].strip("<>"), headers=bearer(reader))
    only_theirs = await client.get(f"{API}/audit", params={"application": "0" * 26}, headers=bearer(reader))

    events = seen.json() + rest.json()
    assert [e["action"] for e in events] == ["application.replace"] * 3 + ["application.create"]
    assert {e["application_id"] for e in events} == {mine["id"]}
    assert only_theirs.json() == []
    assert "link" not in rest.headers


async def test_a_write_that_fails_records_no_event(client, database_url):
    await client.post(f"{API}/applications", json={"name": "taken"})
    assert (await client.post(f"{API}/applications", json={"name": "taken"})).status_code == 409
    assert sql(database_url, "SELECT count(*) FROM audit_events WHERE action = 'application.create'") == [(1,)]
