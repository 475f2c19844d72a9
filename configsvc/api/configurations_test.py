import asyncio

import pytest
from ulid import ULID

pytestmark = pytest.mark.anyio

BASE = "/api/v1/configurations"
CONFIG = {"database": {"host": "db.internal", "port": 5432, "pool": {"min": 1, "max": 10}}, "debug": False}


@pytest.fixture
async def app_id(client):
    response = await client.post("/api/v1/applications", json={"name": "billing"})
    return response.json()["id"]


async def create(client, app_id, name="production", **extra):
    response = await client.post(BASE, json={"application_id": app_id, "name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_returns_201_location_and_the_configuration(client, app_id):
    response = await client.post(BASE, json={"application_id": app_id.lower(), "name": "production", "config": CONFIG})

    body = response.json()
    assert response.status_code == 201
    assert response.headers["location"] == f"{BASE}/{body['id']}"
    assert body["application_id"] == app_id
    assert body["config"] == CONFIG
    assert (await client.get(response.headers["location"])).json() == body


async def test_config_defaults_to_an_empty_object(client, app_id):
    assert (await create(client, app_id))["config"] == {}


async def test_the_application_lists_its_configuration_ids_oldest_first(client, app_id):
    ids = sorted([(await create(client, app_id, name=f"c{i}"))["id"] for i in range(3)])

    application = (await client.get(f"/api/v1/applications/{app_id}")).json()

    assert application["configuration_ids"] == ids


async def test_a_taken_name_in_the_same_application_is_409(client, app_id):
    await create(client, app_id)

    response = await client.post(BASE, json={"application_id": app_id, "name": "production"})

    assert response.status_code == 409


async def test_an_unknown_application_is_422_on_application_id(client):
    response = await client.post(BASE, json={"application_id": str(ULID()), "name": "production"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "application_id"]


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"config": None}, ["body", "config"]),
        ({"config": [1, 2]}, ["body", "config"]),
        ({"config": "text"}, ["body", "config"]),
        ({"name": ""}, ["body", "name"]),
        ({"comments": "c" * 1025}, ["body", "comments"]),
        ({"version": 3}, ["body", "version"]),
        ({"application_id": "not-a-ulid"}, ["body", "application_id"]),
    ],
)
async def test_invalid_bodies_are_422_naming_the_field(client, app_id, extra, loc):
    response = await client.post(BASE, json={"application_id": app_id, "name": "p"} | extra)

    assert response.status_code == 422
    assert loc in [error["loc"] for error in response.json()["errors"]]


async def test_put_replaces_name_comments_and_config(client, app_id):
    created = await create(client, app_id, config=CONFIG, comments="old")

    response = await client.put(f"{BASE}/{created['id']}", json={"name": "prod", "config": {"new": True}})

    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["comments"], body["config"]) == ("prod", None, {"new": True})
    assert body["updated_at"] > created["updated_at"]
    assert (await client.get(f"{BASE}/{created['id']}")).json() == body


async def test_put_may_repeat_the_application_id_but_not_change_it(client, app_id):
    created = await create(client, app_id)
    other = (await client.post("/api/v1/applications", json={"name": "other"})).json()["id"]

    url = f"{BASE}/{created['id']}"
    same = await client.put(url, json={"application_id": app_id.lower(), "name": "p", "config": {}})
    moved = await client.put(url, json={"application_id": other, "name": "p", "config": {}})

    assert same.status_code == 200
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["loc"] == ["body", "application_id"]


async def test_put_errors(client, app_id):
    first = await create(client, app_id, name="a")
    await create(client, app_id, name="b")

    assert (await client.put(f"{BASE}/{ULID()}", json={"name": "x", "config": {}})).status_code == 404
    assert (await client.put(f"{BASE}/{first['id']}", json={"name": "b", "config": {}})).status_code == 409
    missing_config = await client.put(f"{BASE}/{first['id']}", json={"name": "a"})
    assert missing_config.status_code == 422
    assert missing_config.json()["errors"][0]["loc"] == ["body", "config"]


async def test_get_unknown_is_404_and_malformed_is_422(client):
    assert (await client.get(f"{BASE}/{ULID()}")).status_code == 404
    assert (await client.get(f"{BASE}/short")).status_code == 422


async def test_concurrent_creates_all_land(client, app_id):
    responses = await asyncio.gather(
        *(client.post(BASE, json={"application_id": app_id, "name": f"c{i}", "config": {"i": i}}) for i in range(20))
    )

    assert [response.status_code for response in responses] == [201] * 20
    application = (await client.get(f"/api/v1/applications/{app_id}")).json()
    assert sorted(application["configuration_ids"]) == sorted(response.json()["id"] for response in responses)
