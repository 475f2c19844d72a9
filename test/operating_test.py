"""Operating it under `make serve` with two workers: metrics summed over workers, JSON logs."""

import json
import os
import signal
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from configsvc import migrations
from scripts.benchmark.processes import worker_pids
from test.serving import ServeInstance

# Real servers or processes: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

ROUTE = "/api/v1/configurations/{configuration_id}"
SCHEMA_VERSION = str(migrations.discover(migrations.MIGRATIONS_DIR)[-1].version)


def scrape(client: httpx.Client) -> dict[tuple, float]:
    text = client.get("/metrics", headers={"Connection": "close"}).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def get_count(found: dict) -> float:
    return found.get(
        ("http_server_request_duration_seconds_count", (("method", "GET"), ("route", ROUTE), ("status", "200"))), 0
    )


def test_metrics_sum_every_worker_and_json_logs_carry_the_request_id(database_url):
    instance = ServeInstance(database_url, workers=2, LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    instance.wait_ready()
    try:
        with httpx.Client(base_url=instance.url) as client:
            app = client.post("/api/v1/applications", json={"name": "operated"}).json()
            config = client.post("/api/v1/configurations", json={"application_id": app["id"], "name": "c"}).json()
            before = get_count(scrape(client))
            ids = []
            for _ in range(40):  # a new connection each: the kernel spreads them over both workers
                response = client.get(f"/api/v1/configurations/{config['id']}", headers={"Connection": "close"})
                ids.append(response.headers["x-request-id"])
            time.sleep(1.2)  # the pool and watch gauges are sampled once a second
            scrapes = [scrape(client) for _ in range(6)]  # answered by either worker
            for found in scrapes:
                assert get_count(found) - before == 40
                assert found[("configsvc_build_info", (("schema_version", SCHEMA_VERSION), ("version", "0.1.0")))] == 1
                assert found[("configsvc_db_pool_connections", (("state", "idle"),))] >= 2  # both workers' summed

            # A worker killed: uvicorn starts another; the dead one's gauges go, its counts stay.
            os.kill(worker_pids(instance.process.pid)[0], signal.SIGKILL)
            deadline = time.monotonic() + 30
            while len(worker_pids(instance.process.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2.5)  # the new worker started and sampled
            after = scrape(client)
            assert get_count(after) - before == 40
            assert after[("configsvc_build_info", (("schema_version", SCHEMA_VERSION), ("version", "0.1.0")))] == 1
    finally:
        output = instance.stop()

    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is one object
    access = [line for line in lines if line["logger"] == "configsvc.access" and line.get("route") == ROUTE]
    assert {line["request_id"] for line in access} >= set(ids)
    assert all({"ts", "level", "message", "method", "status", "duration_ms"} <= line.keys() for line in access)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own lines too
