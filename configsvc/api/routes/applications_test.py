import asyncio

import pytest
from ulid import ULID

pytestmark = pytest.mark.anyio

BASE = "/api/v1/applications"
PROBLEM = "application/problem+json"


async def create(client, name="billing", **extra):
    response = await client.post(BASE, json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_returns_201_with_location_and_the_application(client):
    response = await client.post(BASE, json={"name": "billing", "comments": "payments"})

    body = response.json()
    assert response.status_code == 201
    assert response.headers["location"] == f"{BASE}/{body['id']}"
    assert body["name"] == "billing"
    assert body["comments"] == "payments"
    assert body["configuration_ids"] == []
    assert body["id"] == body["id"].upper()
    assert len(body["id"]) == 26
    assert body["created_at"].endswith("Z")
    assert len(body["created_at"]) == len("2026-11-26T06:05:04.123456Z")


async def test_created_application_is_readable_by_its_location_in_either_case(client):
    response = await client.post(BASE, json={"name": "billing"})
    created = response.json()

    upper = await client.get(response.headers["location"])
    lower = await client.get(f"{BASE}/{created['id'].lower()}")

    assert upper.status_code == lower.status_code == 200
    assert upper.json() == lower.json() == created


async def test_a_taken_name_is_409(client):
    await create(client)

    response = await client.post(BASE, json={"name": "billing"})

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 409
    assert "billing" not in response.text


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "x" * 257}, ["body", "name"]),
        ({"name": "a", "comments": "c" * 1025}, ["body", "comments"]),
        ({"name": "a", "owner": "me"}, ["body", "owner"]),
        ({"name": 5}, ["body", "name"]),
    ],
)
async def test_invalid_bodies_are_422_naming_the_field(client, body, loc):
    response = await client.post(BASE, json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert "input" not in response.json()["errors"][0]


async def test_put_replaces_name_and_comments(client):
    created = await create(client, comments="old")

    response = await client.put(f"{BASE}/{created['id']}", json={"name": "invoicing"})

    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["comments"]) == ("invoicing", None)
    assert body["updated_at"] > created["updated_at"]
    assert body["created_at"] == created["created_at"]
    assert (await client.get(f"{BASE}/{created['id']}")).json() == body


async def test_put_errors(client):
    first = await create(client, name="a")
    await create(client, name="b")

    assert (await client.put(f"{BASE}/{ULID()}", json={"name": "x"})).status_code == 404
    assert (await client.put(f"{BASE}/{first['id']}", json={"name": "b"})).status_code == 409
    assert (await client.put(f"{BASE}/{first['id']}", json={"name": ""})).status_code == 422
    assert (await client.put(f"{BASE}/not-a-ulid", json={"name": "x"})).status_code == 422


async def test_get_unknown_is_404_and_malformed_is_422(client):
    unknown = await client.get(f"{BASE}/{ULID()}")
    malformed = await client.get(f"{BASE}/8ZZZZZZZZZZZZZZZZZZZZZZZZZ")

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["loc"] == ["path", "application_id"]


async def test_list_pages_with_a_link_header_until_the_end(client):
    ids = sorted([(await create(client, name=f"app{i}"))["id"] for i in range(5)])

    seen, url, pages = [], f"{BASE}?limit=2", 0
    while url:
        response = await client.get(url)
        assert response.status_code == 200
        seen += [application["id"] for application in response.json()]
        link = response.headers.get("link")
        if link:
            assert link == f'<{BASE}?limit=2&after={seen[-1]}>; rel="next"'
        url = link[1 : link.index(">")] if link else None
        pages += 1

    assert seen == ids
    assert pages == 3
    assert "configuration_ids" not in response.json()[0]


async def test_a_page_that_holds_the_rest_has_no_link(client):
    await create(client, name="one")
    await create(client, name="two")

    response = await client.get(BASE, params={"limit": 2})

    assert len(response.json()) == 2
    assert "link" not in response.headers


async def test_list_filters_by_exact_name(client):
    await create(client, name="billing")
    await create(client, name="billing-eu")

    response = await client.get(BASE, params={"name": "billing"})

    assert [application["name"] for application in response.json()] == ["billing"]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=ten", "after=nope", "name="])
async def test_list_rejects_bad_query_parameters(client, query):
    response = await client.get(f"{BASE}?{query}")

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


async def test_concurrent_creates_of_one_name_give_one_201_and_409s(client):
    responses = await asyncio.gather(*(client.post(BASE, json={"name": "race"}) for _ in range(20)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19
    assert len((await client.get(BASE, params={"name": "race"})).json()) == 1


async def test_applications_have_versions_etags_and_if_match(client):
    created = await client.post(BASE, json={"name": "billing"})
    url = created.headers["location"]

    updated = await client.put(url, json={"name": "billing", "comments": "x"}, headers={"If-Match": '"1.0"'})
    stale = await client.put(url, json={"name": "lost update"}, headers={"If-Match": '"1.0"'})

    assert (created.json()["version"], created.headers["etag"]) == (1, '"1.0"')
    assert (updated.status_code, updated.headers["etag"]) == (200, '"2.0"')
    assert (stale.status_code, stale.json()["current_version"], stale.json()["current_etag"]) == (412, 2, '"2.0"')
    assert (await client.get(url)).json()["name"] == "billing"
    assert (await client.get(url)).headers["etag"] == '"2.0"'
