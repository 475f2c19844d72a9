import asyncio

import pytest
from ulid import ULID

from configsvc.main import create_app
from test.client import app_client, settings_for
from test.sql import sql

pytestmark = pytest.mark.anyio

BASE = "/api/v1/configurations"
MARK = "ZQXMARK"  # a submitted value that must never come back in an error
PORT_SCHEMA = {
    "type": "object",
    "required": ["db"],
    "properties": {
        "db": {
            "type": "object",
            "required": ["host", "port"],
            "properties": {"host": {"type": "string"}, "port": {"type": "integer", "minimum": 1, "maximum": 65535}},
        }
    },
}
GOOD = {"db": {"host": "db.internal", "port": 5432}}
BAD = {"db": {"host": "db.internal", "port": MARK}}


@pytest.fixture
async def app_id(client):
    return (await client.post("/api/v1/applications", json={"name": "billing"})).json()["id"]


async def create(client, app_id, name="production", **extra):
    response = await client.post(BASE, json={"application_id": app_id, "name": name, "config": GOOD} | extra)
    assert response.status_code == 201, response.text
    return response.json()


async def guarded(client, app_id, schema=PORT_SCHEMA, config=GOOD):
    created = await create(client, app_id, config=config)
    response = await client.put(f"{BASE}/{created['id']}/schema", json=schema)
    assert response.status_code == 201, response.text
    return created


async def test_a_schema_is_set_read_replaced_and_removed_with_an_etag_of_its_own(client, app_id):
    configuration = await create(client, app_id)
    url = f"{BASE}/{configuration['id']}/schema"

    assert (await client.get(url)).status_code == 404
    created = await client.put(url, json=PORT_SCHEMA)
    fetched = await client.get(url)
    replaced = await client.put(url, json=PORT_SCHEMA | {"title": "v2"}, headers={"If-Match": '"1"'})
    not_modified = await client.get(url, headers={"If-None-Match": '"2"'})
    removed = await client.delete(url, headers={"If-Match": '"2"'})
    after = await client.get(url)
    again = await client.put(url, json=PORT_SCHEMA)

    assert (created.status_code, created.headers["etag"]) == (201, '"1"')
    assert created.json() == PORT_SCHEMA
    assert (fetched.status_code, fetched.headers["etag"], fetched.content) == (200, '"1"', created.content)
    assert (replaced.status_code, replaced.headers["etag"], replaced.json()["title"]) == (200, '"2"', "v2")
    assert not_modified.status_code == 304
    assert removed.status_code == 204
    assert (after.status_code, after.json()["detail"]) == (404, "this configuration has no schema")
    # Versions go on counting through a removal: an ETag of a removed schema never matches a later one.
    assert (again.status_code, again.headers["etag"]) == (201, '"4"')


async def test_if_match_guards_schema_writes(client, app_id):
    configuration = await create(client, app_id)
    url = f"{BASE}/{configuration['id']}/schema"

    none_yet = await client.put(url, json=PORT_SCHEMA, headers={"If-Match": "*"})
    await client.put(url, json=PORT_SCHEMA)
    stale = await client.put(url, json={}, headers={"If-Match": '"7"'})
    stale_delete = await client.delete(url, headers={"If-Match": '"7"'})
    any_current = await client.put(url, json={}, headers={"If-Match": "*"})

    assert none_yet.status_code == 412
    assert (none_yet.json()["current_etag"], none_yet.json()["current_version"]) == (None, None)
    assert (stale.status_code, stale.json()["current_etag"]) == (412, '"1"')
    assert stale_delete.status_code == 412
    assert any_current.status_code == 200


async def test_the_schema_is_not_part_of_the_configuration(client, app_id):
    configuration = await create(client, app_id)
    url = f"{BASE}/{configuration['id']}"
    before = await client.get(url)

    await client.put(f"{url}/schema", json=PORT_SCHEMA)
    after = await client.get(url)

    assert (after.content, after.headers["etag"]) == (before.content, before.headers["etag"])
    assert "schema" not in after.json()


async def test_unknown_and_malformed_configurations(client):
    unknown = f"{BASE}/{ULID()}"

    assert (await client.get(f"{unknown}/schema")).json()["detail"] == "no such configuration"
    assert (await client.put(f"{unknown}/schema", json={})).status_code == 404
    assert (await client.delete(f"{unknown}/schema")).status_code == 404
    assert (await client.post(f"{unknown}/validate", json={"config": {}})).status_code == 404
    assert (await client.get(f"{BASE}/short/schema")).status_code == 422


async def test_a_put_that_violates_the_schema_is_a_422_locating_each_value_and_stores_nothing(client, app_id):
    configuration = await guarded(client, app_id)
    url = f"{BASE}/{configuration['id']}"

    response = await client.put(url, json={"name": "production", "config": {"db": {"port": MARK}}})

    body = response.json()
    assert response.status_code == 422
    assert body["type"] == "urn:configsvc:problem:schema-violation"
    assert sorted(body["errors"], key=str) == sorted(
        [
            {"loc": ["body", "config", "db", "host"], "msg": "is required", "type": "schema.required"},
            {"loc": ["body", "config", "db", "port"], "msg": "must be of type integer", "type": "schema.type"},
        ],
        key=str,
    )
    assert MARK not in response.text
    assert (await client.get(url)).json()["version"] == 1
    assert (await client.put(url, json={"name": "production", "config": GOOD})).status_code == 200


async def test_at_most_fifty_violations_are_listed(client, app_id):
    configuration = await guarded(client, app_id, {"additionalProperties": {"type": "integer"}}, config={})

    many = {f"k{i:03}": "text" for i in range(80)}
    response = await client.put(f"{BASE}/{configuration['id']}", json={"name": "p", "config": many})

    assert response.status_code == 422
    assert len(response.json()["errors"]) == 50


async def test_setting_a_schema_the_current_config_violates_is_a_422_and_changes_nothing(client, app_id):
    configuration = await guarded(client, app_id)
    url = f"{BASE}/{configuration['id']}/schema"
    stricter = PORT_SCHEMA | {"properties": {"db": {"properties": {"port": {"maximum": 1024}}}}}

    response = await client.put(url, json=stricter)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["config", "db", "port"], "msg": "must be at most 1024", "type": "schema.maximum"}
    ]
    assert (await client.get(url)).json() == PORT_SCHEMA


@pytest.mark.parametrize(
    ("schema", "loc", "type"),
    [
        ({"type": 5}, ["body", "type"], "json_schema.anyOf"),
        ({"properties": {"a": {"minimum": "low"}}}, ["body", "properties", "a", "minimum"], "json_schema.type"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, ["body", "$schema"], "json_schema.$schema"),
        ({"properties": {"a": {"pattern": "(?=a)b"}}}, ["body", "properties", "a", "pattern"], "json_schema.format"),
        ({"$ref": "https://example.com/s.json"}, ["body", "$ref"], "json_schema.$ref"),
        ({"$ref": "#/$defs/missing"}, ["body"], "json_schema.$ref"),
    ],
)
async def test_a_body_that_is_not_an_acceptable_draft_2020_12_schema_is_a_422_naming_what_is_wrong(
    client, app_id, schema, loc, type
):
    configuration = await create(client, app_id)

    response = await client.put(f"{BASE}/{configuration['id']}/schema", json=schema)

    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:configsvc:problem:invalid-schema"
    assert [(error["loc"], error["type"]) for error in response.json()["errors"]][:1] == [(loc, type)]


@pytest.mark.parametrize("body", ["[]", "true", '"text"', '{"a": NaN}'])
async def test_a_schema_body_must_be_a_json_object(client, app_id, body):
    configuration = await create(client, app_id)

    response = await client.put(
        f"{BASE}/{configuration['id']}/schema", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422


async def test_a_configuration_can_be_born_guarded(client, app_id):
    refused = await client.post(
        BASE, json={"application_id": app_id, "name": "p", "config": BAD, "schema": PORT_SCHEMA}
    )
    bad_schema = await client.post(BASE, json={"application_id": app_id, "name": "p", "schema": {"type": 5}})
    created = await client.post(
        BASE, json={"application_id": app_id, "name": "p", "config": GOOD, "schema": PORT_SCHEMA}
    )

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "config", "db", "port"]
    assert bad_schema.status_code == 422
    assert bad_schema.json()["errors"][0]["loc"] == ["body", "schema", "type"]
    assert created.status_code == 201
    assert "schema" not in created.json()
    url = created.headers["location"]
    assert (await client.get(f"{url}/schema")).json() == PORT_SCHEMA
    assert (await client.put(url, json={"name": "p", "config": BAD})).status_code == 422
    # Nothing of the refused creates was stored.
    assert len((await client.get(f"/api/v1/applications/{app_id}")).json()["configuration_ids"]) == 1


async def test_validate_answers_as_a_write_would_and_stores_nothing(client, app_id):
    configuration = await guarded(client, app_id)
    url = f"{BASE}/{configuration['id']}"

    valid = await client.post(f"{url}/validate", json={"config": GOOD | {"debug": True}})
    invalid = await client.post(f"{url}/validate", json={"config": BAD})
    written = await client.put(url, json={"name": "production", "config": BAD})

    assert (valid.status_code, valid.json()) == (200, {"valid": True})
    assert invalid.status_code == 422
    assert (invalid.json()["type"], invalid.json()["errors"]) == (written.json()["type"], written.json()["errors"])
    assert (await client.get(url)).json()["version"] == 1


async def test_validate_without_a_schema_checks_only_the_config_rules(client, app_id):
    configuration = await create(client, app_id)
    url = f"{BASE}/{configuration['id']}/validate"

    assert (await client.post(url, json={"config": BAD})).json() == {"valid": True}
    assert (await client.post(url, json={"config": None})).status_code == 422
    assert (await client.post(url, json={})).status_code == 422


async def test_restoring_a_revision_the_schema_refuses_is_a_422(client, app_id):
    configuration = await create(client, app_id, config=BAD)  # version 1, before any schema
    url = f"{BASE}/{configuration['id']}"
    await client.put(url, json={"name": "production", "config": GOOD})  # version 2
    await client.put(f"{url}/schema", json=PORT_SCHEMA)

    refused = await client.post(f"{url}/revisions/1/restore")
    restored = await client.post(f"{url}/revisions/2/restore")
    missing = await client.post(f"{url}/revisions/9/restore")

    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"loc": ["config", "db", "port"], "msg": "must be of type integer", "type": "schema.type"}
    ]
    assert MARK not in refused.text
    assert (restored.status_code, restored.json()["version"]) == (200, 3)
    assert missing.status_code == 404


async def test_removing_the_schema_lifts_the_guard(client, app_id):
    configuration = await guarded(client, app_id)
    url = f"{BASE}/{configuration['id']}"

    await client.delete(f"{url}/schema")

    assert (await client.put(url, json={"name": "production", "config": BAD})).status_code == 200


async def test_a_process_that_has_not_seen_the_schema_change_still_checks_against_the_current_one(
    client, database_url, app_id
):
    configuration = await create(client, app_id)
    url = f"{BASE}/{configuration['id']}"
    async with app_client(create_app(settings_for(database_url))) as other:
        # This process writes once without a schema, then the other sets one: its guess is stale.
        assert (await client.put(url, json={"name": "production", "config": GOOD})).status_code == 200
        assert (await other.put(f"{url}/schema", json=PORT_SCHEMA)).status_code == 201
        refused = await client.put(url, json={"name": "production", "config": BAD})
        # And the other way: it knows a strict schema, the other relaxes it.
        assert (await other.put(f"{url}/schema", json={})).status_code == 200
        accepted = await client.put(url, json={"name": "production", "config": BAD})

    assert refused.status_code == 422
    assert accepted.status_code == 200


async def test_each_schema_version_is_compiled_once_per_process_not_per_request(client, database_url, app_id):
    validators = client._transport.app.state.services.validators
    configuration = await guarded(client, app_id)
    url = f"{BASE}/{configuration['id']}"
    compiled_by_the_put = validators.compilations

    for port in range(1, 21):
        config = {"db": {"host": "h", "port": port}}
        assert (await client.put(url, json={"name": "production", "config": config})).status_code == 200
        assert (await client.post(f"{url}/validate", json={"config": config})).status_code == 200
    async with app_client(create_app(settings_for(database_url))) as cold:
        cold_validators = cold._transport.app.state.services.validators
        for port in range(1, 6):
            await cold.put(url, json={"name": "production", "config": {"db": {"host": "h", "port": port}}})

    assert compiled_by_the_put == 1
    assert validators.compilations == 1
    assert cold_validators.compilations == 1  # compiled from the stored schema at its first write


async def test_a_schema_shared_by_configurations_is_compiled_once(client, app_id):
    validators = client._transport.app.state.services.validators
    for name in ("a", "b", "c"):
        created = await create(client, app_id, name=name)
        await client.put(f"{BASE}/{created['id']}/schema", json=PORT_SCHEMA)

    assert len(validators) == 1


async def test_changing_the_schema_wakes_none_of_the_configuration_s_watchers(client, app_id):
    watches = client._transport.app.state.services.watches
    configuration = await create(client, app_id)
    url = f"{BASE}/{configuration['id']}"
    held = asyncio.ensure_future(client.get(url, headers={"If-None-Match": '"1"', "Prefer": "wait=1"}))
    while watches.held == 0:
        await asyncio.sleep(0.01)
    woken_before = watches.wakeups

    assert (await client.put(f"{url}/schema", json=PORT_SCHEMA)).status_code == 201
    assert (await client.delete(f"{url}/schema")).status_code == 204
    response = await held

    assert response.status_code == 304  # held to its end: nothing it watches changed
    assert watches.wakeups == woken_before


async def test_a_schema_change_is_seen_by_the_next_read_through_the_cache(client, app_id):
    configuration = await guarded(client, app_id)
    url = f"{BASE}/{configuration['id']}/schema"
    await client.get(url)  # cached now

    sql(client._transport.app.state.services.settings.database_url,
        "UPDATE configuration_schemas SET schema = '{\"title\": \"by hand\"}'")  # fmt: skip

    fetched = await client.get(url)
    assert (fetched.json(), fetched.headers["etag"]) == ({"title": "by hand"}, '"2"')


async def test_deleting_the_configuration_deletes_its_schema(client, app_id):
    configuration = await guarded(client, app_id)
    url = f"{BASE}/{configuration['id']}"

    assert (await client.delete(url)).status_code == 204

    assert (await client.get(f"{url}/schema")).json()["detail"] == "no such configuration"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def make_token(client, name: str, *scopes: str, admin: str | None = None) -> str:
    headers = bearer(admin) if admin else {}
    response = await client.post("/api/v1/tokens", json={"name": name, "scopes": list(scopes)}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["token"]


async def test_schemas_obey_the_tokens_scopes_and_every_change_is_audited_with_its_author(client, app_id):
    configuration = await create(client, app_id)
    schema_url = f"{BASE}/{configuration['id']}/schema"
    admin = await make_token(client, "root", "admin")
    await client.post("/api/v1/applications", json={"name": "payments"}, headers=bearer(admin))
    writer = await make_token(client, "ci-billing", "write:billing", admin=admin)
    reader = await make_token(client, "billing-api", "read:billing", admin=admin)
    stranger = await make_token(client, "elsewhere", "write:payments", admin=admin)

    assert (await client.put(schema_url, json=PORT_SCHEMA)).status_code == 401
    assert (await client.put(schema_url, json=PORT_SCHEMA, headers=bearer(reader))).status_code == 403
    hidden = await client.put(schema_url, json=PORT_SCHEMA, headers=bearer(stranger))
    assert (hidden.status_code, hidden.json()["detail"]) == (404, "no such configuration")
    assert (await client.put(schema_url, json=PORT_SCHEMA, headers=bearer(writer))).status_code == 201
    assert (await client.put(schema_url, json=PORT_SCHEMA, headers=bearer(writer))).status_code == 200

    assert (await client.get(schema_url, headers=bearer(reader))).json() == PORT_SCHEMA
    for forbidden in (None, stranger):
        answer = await client.get(schema_url, headers=bearer(forbidden) if forbidden else {})
        assert answer.status_code == (404 if forbidden else 401)
        assert "properties" not in answer.text
    validate = f"{BASE}/{configuration['id']}/validate"
    assert (await client.post(validate, json={"config": BAD}, headers=bearer(reader))).status_code == 422
    assert (await client.post(validate, json={"config": GOOD}, headers=bearer(stranger))).status_code == 404
    assert (await client.delete(schema_url, headers=bearer(reader))).status_code == 403
    assert (await client.delete(schema_url, headers=bearer(stranger))).status_code == 404
    assert (await client.delete(schema_url, headers=bearer(writer))).status_code == 204
    missing = await client.get(schema_url, headers=bearer(reader))
    assert (missing.status_code, missing.json()["detail"]) == (404, "this configuration has no schema")
    born = await client.post(
        BASE,
        json={"application_id": app_id, "name": "born", "config": GOOD, "schema": PORT_SCHEMA},
        headers=bearer(writer),
    )
    assert born.status_code == 201

    events = (await client.get("/api/v1/audit", params={"application": app_id}, headers=bearer(admin))).json()
    schema_events = [
        (e["action"], e["resource"], e["version"], e["actor"]["name"])
        for e in events
        if e["action"].startswith("schema.")
    ]
    assert schema_events == [
        ("schema.create", {"kind": "configuration", "id": born.json()["id"]}, 1, "ci-billing"),
        ("schema.delete", {"kind": "configuration", "id": configuration["id"]}, 3, "ci-billing"),
        ("schema.replace", {"kind": "configuration", "id": configuration["id"]}, 2, "ci-billing"),
        ("schema.create", {"kind": "configuration", "id": configuration["id"]}, 1, "ci-billing"),
    ]
    assert all(e["application_id"] == app_id for e in events)
