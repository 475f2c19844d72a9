"""Hostile JSON Schemas (SPEC §4d): nothing is ever fetched, a catastrophic pattern cannot stall a
worker, and deep or huge schemas are refused or validated, never a 500."""

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from psycopg2.extensions import make_dsn

from conftest import create_database, drop_database
from test.serving import ServeInstance

pytestmark = pytest.mark.anyio

BASE = "/api/v1/configurations"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


class Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        body = json.dumps({"type": "string"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/schema+json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def schema_server():
    """A local server that would serve any schema asked of it, and records every request."""
    Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def new_configuration(client, config=None) -> str:
    app = (await client.post("/api/v1/applications", json={"name": "hostile"})).json()["id"]
    body = {"application_id": app, "name": "c", "config": config or {}}
    return (await client.post(BASE, json=body)).json()["id"]


def reaching(server: str) -> list[dict]:
    return [
        {"$ref": f"{server}/root.json"},
        {"$ref": "file:///etc/passwd"},
        {"$id": f"{server}/base/", "$ref": "other.json"},
        {"$id": f"{server}/base/", "properties": {"a": {"$ref": "other.json#/x"}}},
        {"properties": {"a": {"items": {"anyOf": [{}, {"$ref": f"{server}/nested.json"}]}}}},
        {"$defs": {"d": {"$ref": f"{server}/defs.json"}}, "$ref": "#/$defs/d"},
        {"not": {"$dynamicRef": f"{server}/dynamic.json#meta"}},
        {"$dynamicRef": f"{server}/dynamic.json"},
        {"$schema": f"{server}/meta.json"},
        {"properties": {"a": {"$schema": f"{server}/meta.json", "$id": f"{server}/a.json"}}},
        {"$ref": f"//127.0.0.1:{server.rsplit(':', 1)[1]}/scheme-relative.json"},
        {"$ref": "urn:uuid:deadbeef-1234-5678-1234-567812345678"},
    ]


async def test_a_schema_never_makes_the_service_fetch_anything(client, schema_server):
    id = await new_configuration(client)
    app = (await client.get(f"{BASE}/{id}")).json()["application_id"]

    answers = []
    for schema in reaching(schema_server):
        answers.append((await client.put(f"{BASE}/{id}/schema", json=schema)).status_code)
        create = {"application_id": app, "name": "born", "schema": schema}
        answers.append((await client.post(BASE, json=create)).status_code)
    # Local references, an absolute $id and a "$ref" that is only data: accepted, still nothing fetched.
    local = {
        "$schema": DRAFT,
        "$id": f"{schema_server}/root.json",
        "$defs": {"s": {"type": "string"}},
        "properties": {"a": {"$ref": "#/$defs/s"}, "b": {"const": {"$ref": f"{schema_server}/data.json"}}},
    }
    accepted = await client.put(f"{BASE}/{id}/schema", json=local)
    checked = await client.post(f"{BASE}/{id}/validate", json={"config": {"a": 1}})

    assert answers == [422] * len(answers)
    assert accepted.status_code == 201, accepted.text
    assert checked.json()["errors"][0]["loc"] == ["body", "config", "a"]
    await asyncio.sleep(0.2)  # anything sent would have arrived by now
    assert Recorder.requests == []


@pytest.mark.parametrize("depth", [129, 1000])
async def test_a_schema_nested_deeper_than_allowed_is_refused_not_a_500(client, depth):
    id = await new_configuration(client)
    text = '{"not": ' * depth + "{}" + "}" * depth

    response = await client.put(f"{BASE}/{id}/schema", content=text, headers={"content-type": "application/json"})

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def filling(limit: int, make) -> dict:
    """The largest schema `make(n)` under `limit` bytes of JSON."""
    n = 1
    while len(json.dumps(make(n * 2))) < limit:
        n *= 2
    low, high = n, n * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if len(json.dumps(make(middle))) < limit else (low, middle)
    return make(low)


HUGE = {
    "many patterns": lambda n: {
        "properties": {f"p{i}": {"type": "string", "pattern": f"^[a-z]{{1,{i % 50 + 1}}}(x|y)+$"} for i in range(n)}
    },
    "one enormous pattern": lambda n: {"pattern": "(" + "|".join(f"w{i}" for i in range(n)) + ")"},
    "a huge enum": lambda n: {"enum": [f"value-{i}" for i in range(n)]},
    "a wide anyOf": lambda n: {"anyOf": [{"const": i} for i in range(n)]},
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(HUGE))
async def test_a_schema_of_max_body_bytes_is_refused_or_validated_not_a_500(client, shape):
    id = await new_configuration(client)
    schema = filling(1024 * 1024 - 100, HUGE[shape])

    started = time.perf_counter()
    put = await client.put(f"{BASE}/{id}/schema", json=schema)
    put_seconds = time.perf_counter() - started
    started = time.perf_counter()
    checked = await client.post(f"{BASE}/{id}/validate", json={"config": {"p1": "zzz"}})
    check_seconds = time.perf_counter() - started

    assert put.status_code in (201, 422), put.text
    assert checked.status_code in (200, 422), checked.text
    print(
        f"{shape}: PUT {put.status_code} in {put_seconds:.3f} s, validate {checked.status_code} in {check_seconds:.3f} s"
    )
    assert put_seconds < 5
    assert check_seconds < 5


@pytest.fixture(scope="module")
def one_worker(server_url, template_database):
    name = create_database(server_url, template=template_database)
    instance = ServeInstance(make_dsn(server_url, dbname=name), workers=1)
    try:
        instance.wait_ready()
        yield instance
    finally:
        instance.stop()
        drop_database(server_url, name)


@pytest.mark.slow
def test_a_catastrophic_pattern_is_answered_within_a_second_while_the_worker_serves_others(one_worker):
    with httpx.Client(base_url=one_worker.url, timeout=10) as http:
        app = http.post("/api/v1/applications", json={"name": "regex"}).json()["id"]
        created = http.post(BASE, json={"application_id": app, "name": "c", "config": {"s": "a"}}).json()
        url = f"{BASE}/{created['id']}"
        assert http.put(f"{url}/schema", json={"properties": {"s": {"pattern": "^(a+)+$"}}}).status_code == 201
        evil = {"name": "c", "config": {"s": "a" * 50_000 + "!"}}

        def timed(method: str, path: str, **kwargs) -> tuple[int, float]:
            with httpx.Client(base_url=one_worker.url, timeout=10) as own:
                started = time.perf_counter()
                status = own.request(method, path, **kwargs).status_code
                return status, time.perf_counter() - started

        with ThreadPoolExecutor(8) as pool:
            writes = [pool.submit(timed, "PUT", url, json=evil) for _ in range(3)]
            checks = [pool.submit(timed, "POST", f"{url}/validate", json={"config": evil["config"]}) for _ in range(3)]
            others = [pool.submit(timed, "GET", url) for _ in range(20)]
            results = [future.result() for future in writes + checks + others]

    assert [status for status, _ in results] == [422] * 6 + [200] * 20
    slowest = max(seconds for _, seconds in results)
    print(f"catastrophic pattern: slowest of 26 answers {slowest * 1000:.1f} ms")
    assert slowest < 1.0
