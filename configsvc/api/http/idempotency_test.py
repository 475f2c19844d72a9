import asyncio

import pytest

from test.sql import sql

pytestmark = pytest.mark.anyio

APPS = "/api/v1/applications"
CONFIGS = "/api/v1/configurations"


def count(database_url: str, table: str) -> int:
    statement = {
        "applications": "SELECT count(*) FROM applications",
        "configurations": "SELECT count(*) FROM configurations",
        "idempotency_keys": "SELECT count(*) FROM idempotency_keys",
    }[table]
    return sql(database_url, statement)[0][0]


async def test_a_retried_create_replays_the_first_response_and_creates_nothing(client, database_url):
    headers = {"Idempotency-Key": "create-billing-1"}

    first = await client.post(APPS, json={"name": "billing"}, headers=headers)
    retry = await client.post(APPS, json={"name": "billing"}, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"] == '"1.0"'
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert count(database_url, "applications") == 1


async def test_a_retry_with_the_same_json_in_another_key_order_is_the_same_request(client, database_url):
    app_id = (await client.post(APPS, json={"name": "a"})).json()["id"]
    headers = {"Idempotency-Key": "reordered", "Content-Type": "application/json"}
    body = '{"application_id": "APP", "name": "c", "config": {"a": 1, "b": {"x": [1, 2], "y": null}}}'
    reordered = '{"config":{"b":{"y":null,"x":[1,2]},"a":1},"name":"c","application_id":"APP"}'
    body, reordered = body.replace("APP", app_id), reordered.replace("APP", app_id.lower())

    first = await client.post(CONFIGS, content=body, headers=headers)
    retry = await client.post(CONFIGS, content=reordered, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content
    assert count(database_url, "configurations") == 1


async def test_keys_are_scoped_to_method_and_path(client, database_url):
    app_id = (await client.post(APPS, json={"name": "a"}, headers={"Idempotency-Key": "shared"})).json()["id"]

    config = await client.post(
        CONFIGS, json={"application_id": app_id, "name": "c"}, headers={"Idempotency-Key": "shared"}
    )

    assert config.status_code == 201
    assert count(database_url, "configurations") == 1


async def test_the_same_key_with_another_body_is_422(client, database_url):
    await client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k"})

    response = await client.post(APPS, json={"name": "shipping"}, headers={"Idempotency-Key": "k"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "idempotency-key"]
    assert count(database_url, "applications") == 1


async def test_a_failed_create_records_no_key(client, database_url):
    await client.post(APPS, json={"name": "billing"})

    conflict = await client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k"})

    assert conflict.status_code == 409
    assert count(database_url, "idempotency_keys") == 0
    # The key is still free: once the name is free, the same key creates.
    await client.put(f"{APPS}/{(await client.get(APPS)).json()[0]['id']}", json={"name": "renamed"})
    assert (await client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k"})).status_code == 201


@pytest.mark.parametrize("key", ["", " padded ", "x" * 256, "tab\tinside", "caf\u00e9"])
async def test_a_malformed_key_is_refused_before_the_body_is_read(client, database_url, key):
    response = await client.post(APPS, json={"name": ""}, headers={"Idempotency-Key": key.encode("utf-8")})

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["header", "idempotency-key"]]
    assert count(database_url, "applications") == 0


async def test_concurrent_retries_with_one_key_create_one_row_and_answer_alike(client, database_url):
    app_id = (await client.post(APPS, json={"name": "a"})).json()["id"]
    body = {"application_id": app_id, "name": "production", "config": {"v": 1}}

    responses = await asyncio.gather(
        *(client.post(CONFIGS, json=body, headers={"Idempotency-Key": "same"}) for _ in range(10))
    )

    assert {response.status_code for response in responses} == {201}
    assert len({response.content for response in responses}) == 1
    assert count(database_url, "configurations") == 1
