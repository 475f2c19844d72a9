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


async def test_versions_and_etags_on_every_single_resource_response(client, app_id):
    created = await client.post(BASE, json={"application_id": app_id, "name": "p"})
    url = created.headers["location"]
    fetched = await client.get(url)
    replaced = await client.put(url, json={"name": "p", "config": {}})
    unchanged = await client.put(url, json={"name": "p", "config": {}})

    assert (created.json()["version"], created.headers["etag"]) == (1, '"1"')
    assert fetched.headers["etag"] == '"1"'
    assert (replaced.json()["version"], replaced.headers["etag"]) == (2, '"2"')
    assert unchanged.json()["version"] == 3  # a PUT that changes nothing still counts


async def test_if_match_with_a_stale_version_is_412_naming_the_current_one(client, app_id):
    created = await create(client, app_id, config={"v": 1})
    url = f"{BASE}/{created['id']}"
    await client.put(url, json={"name": "production", "config": {"v": 2}}, headers={"If-Match": '"1"'})

    stale = await client.put(url, json={"name": "production", "config": {"v": 3}}, headers={"If-Match": '"1"'})

    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current_version"] == 2
    assert (await client.get(url)).json()["config"] == {"v": 2}


async def test_if_match_star_and_lists(client, app_id):
    url = f"{BASE}/{(await create(client, app_id))['id']}"

    star = await client.put(url, json={"name": "p", "config": {}}, headers={"If-Match": "*"})
    listed = await client.put(url, json={"name": "p", "config": {}}, headers={"If-Match": '"7", "2"'})
    weak = await client.put(url, json={"name": "p", "config": {}}, headers={"If-Match": 'W/"3"'})
    malformed = await client.put(url, json={"name": "p", "config": {}}, headers={"If-Match": "3"})

    assert (star.status_code, listed.status_code, weak.status_code) == (200, 200, 412)
    assert malformed.status_code == 422
    assert (await client.get(url)).json()["version"] == 3


async def test_if_match_on_an_unknown_configuration_is_404(client):
    response = await client.put(f"{BASE}/{ULID()}", json={"name": "p", "config": {}}, headers={"If-Match": '"1"'})

    assert response.status_code == 404


async def test_concurrent_if_match_puts_of_one_version_let_exactly_one_through(client, app_id):
    url = f"{BASE}/{(await create(client, app_id))['id']}"

    responses = await asyncio.gather(
        *(client.put(url, json={"name": "p", "config": {"writer": i}}, headers={"If-Match": '"1"'}) for i in range(10))
    )

    statuses = sorted(response.status_code for response in responses)
    successes = statuses.count(200)
    assert successes == 1
    assert statuses == [200] + [412] * 9
    final = (await client.get(url)).json()
    assert final["version"] == 1 + successes
    winner = next(response for response in responses if response.status_code == 200)
    assert final["config"] == winner.json()["config"]
    revisions = (await client.get(f"{url}/revisions")).json()
    assert [revision["version"] for revision in revisions] == [2, 1]


async def test_if_none_match_with_the_current_etag_is_a_bodiless_304(client, app_id):
    url = f"{BASE}/{(await create(client, app_id))['id']}"

    current = await client.get(url, headers={"If-None-Match": '"1"'})
    stale = await client.get(url, headers={"If-None-Match": '"0"'})

    assert current.status_code == 304
    assert current.content == b""
    assert current.headers["etag"] == '"1"'
    assert stale.status_code == 200
    assert stale.json()["version"] == 1


async def test_head_answers_like_get_without_the_body(client, app_id):
    url = f"{BASE}/{(await create(client, app_id))['id']}"

    get = await client.get(url)
    head = await client.head(url)
    not_modified = await client.head(url, headers={"If-None-Match": '"1"'})
    missing = await client.head(f"{BASE}/{ULID()}")

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["etag"] == get.headers["etag"] == '"1"'
    assert head.headers["content-length"] == str(len(get.content))
    assert (not_modified.status_code, not_modified.headers["etag"]) == (304, '"1"')
    assert (missing.status_code, missing.content) == (404, b"")


async def test_revisions_record_every_version_newest_first_with_paging(client, app_id):
    created = await create(client, app_id, config={"v": 1}, comments="first")
    url = f"{BASE}/{created['id']}"
    for v in (2, 3, 4):
        await client.put(url, json={"name": "production", "comments": f"v{v}", "config": {"v": v}})

    first_page = await client.get(f"{url}/revisions", params={"limit": 3})
    link = first_page.headers["link"]
    second_page = await client.get(link[1 : link.index(">")])
    one = await client.get(f"{url}/revisions/1")

    assert [r["version"] for r in first_page.json()] == [4, 3, 2]
    assert link == f'<{url}/revisions?limit=3&before=2>; rel="next"'
    assert [r["version"] for r in second_page.json()] == [1]
    assert "link" not in second_page.headers
    assert one.json() == {
        "configuration_id": created["id"],
        "version": 1,
        "name": "production",
        "comments": "first",
        "config": {"v": 1},
        "created_at": created["updated_at"],
        "actor": None,  # made while access control was off
    }
    assert "etag" not in one.headers


async def test_revision_errors(client, app_id):
    url = f"{BASE}/{(await create(client, app_id))['id']}"

    assert (await client.get(f"{url}/revisions/2")).status_code == 404
    assert (await client.get(f"{url}/revisions/0")).status_code == 422
    assert (await client.get(f"{BASE}/{ULID()}/revisions")).status_code == 404
    assert (await client.get(f"{BASE}/{ULID()}/revisions/1")).status_code == 404
    assert (await client.post(f"{url}/revisions/9/restore")).status_code == 404
    assert (await client.post(f"{BASE}/{ULID()}/revisions/1/restore")).status_code == 404


async def test_restore_writes_a_new_version_with_the_old_content(client, app_id):
    created = await create(client, app_id, config={"v": 1}, comments="original")
    url = f"{BASE}/{created['id']}"
    await client.put(url, json={"name": "renamed", "config": {"v": 2}})

    restored = await client.post(f"{url}/revisions/1/restore", headers={"If-Match": '"2"'})

    body = restored.json()
    assert restored.status_code == 200
    assert restored.headers["etag"] == '"3"'
    assert (body["version"], body["name"], body["comments"], body["config"]) == (3, "production", "original", {"v": 1})
    revisions = (await client.get(f"{url}/revisions")).json()
    assert [(r["version"], r["config"]) for r in revisions] == [(3, {"v": 1}), (2, {"v": 2}), (1, {"v": 1})]


async def test_restore_honours_if_match_and_name_conflicts(client, app_id):
    created = await create(client, app_id)
    url = f"{BASE}/{created['id']}"
    await client.put(url, json={"name": "renamed", "config": {}})
    await create(client, app_id, name="production")  # another configuration takes the old name

    stale = await client.post(f"{url}/revisions/1/restore", headers={"If-Match": '"1"'})
    taken = await client.post(f"{url}/revisions/1/restore")

    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert taken.status_code == 409
    assert (await client.get(url)).json()["version"] == 2
