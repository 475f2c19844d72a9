import pytest
from prometheus_client.parser import text_string_to_metric_families
from ulid import ULID

from configsvc import migrations
from configsvc.main import create_app
from test.client import app_client, settings_for
from test.fakes import app_without_database

pytestmark = pytest.mark.anyio


def counts(text: str) -> dict[tuple[str, str, str], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_server_request_duration_seconds_count":
                found[(sample.labels["method"], sample.labels["route"], sample.labels["status"])] = sample.value
    return found


async def test_requests_are_counted_under_their_route_template_whichever_path_served_them(database_url):
    async with app_client(create_app(settings_for(database_url))) as client:
        app = (await client.post("/api/v1/applications", json={"name": "m"})).json()
        for _ in range(3):
            await client.get(f"/api/v1/applications/{app['id']}")  # the fast path
        await client.head(f"/api/v1/applications/{app['id']}")
        await client.get(f"/api/v1/configurations/{ULID()}")  # a 404
        await client.get("/api/v1/applications", params={"limit": 2})
        await client.get("/nowhere/at/all")
        await client.patch("/api/v1/applications")  # a 405: matched path, no such method
        await client.get("/metrics")
        scrape = await client.get("/metrics")

    found = counts(scrape.text)
    assert scrape.headers["content-type"].startswith("text/plain")
    assert found[("GET", "/api/v1/applications/{application_id}", "200")] == 3
    assert found[("HEAD", "/api/v1/applications/{application_id}", "200")] == 1
    assert found[("GET", "/api/v1/configurations/{configuration_id}", "404")] == 1
    assert found[("POST", "/api/v1/applications", "201")] == 1
    assert found[("GET", "/api/v1/applications", "200")] == 1
    assert found[("GET", "unmatched", "404")] == 1
    assert found[("PATCH", "/api/v1/applications", "405")] == 1  # the path is a route's, the method not
    assert not any(route == "/metrics" for _, route, _ in found)  # scrapes are not counted
    assert not any("/01" in route for _, route, _ in found)  # no raw id ever becomes a label value


async def test_writes_and_the_build_are_reported(database_url):
    async with app_client(create_app(settings_for(database_url))) as client:
        await client.post("/api/v1/applications", json={"name": "w"})
        await client.post("/api/v1/applications", json={"name": "w"})  # 409
        await client.post("/api/v1/applications", json={"name": ""})  # 422
        text = (await client.get("/metrics")).text

    assert 'configsvc_writes_total{operation="create",outcome="committed",resource="application"} 1.0' in text
    assert 'configsvc_writes_total{operation="create",outcome="conflict",resource="application"} 1.0' in text
    assert 'configsvc_writes_total{operation="create",outcome="rejected",resource="application"} 1.0' in text
    latest = migrations.discover(migrations.MIGRATIONS_DIR)[-1].version
    assert f'configsvc_build_info{{schema_version="{latest}",version="0.1.0"}} 1.0' in text
    assert "configsvc_db_pool_wait_seconds_count" in text
    assert 'configsvc_db_pool_connections{state="in_use"}' in text


async def test_metrics_can_be_turned_off():
    async with app_client(app_without_database(metrics_enabled=False)) as client:
        assert (await client.get("/metrics")).status_code == 404
