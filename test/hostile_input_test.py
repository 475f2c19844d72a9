"""Hostile input: always a 4xx problem, nothing stored, nothing leaked, the service still healthy."""

import re

import pytest
from ulid import ULID

from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio

MARK = "ZQXMARK"  # a submitted value that must never come back in an error
APP_ID_PLACEHOLDER = "{app}"
JSON = {"content-type": "application/json"}
LEAKS = re.compile(r"Traceback|psycopg|SQLSTATE|SELECT |INSERT |UPDATE |postgres|/work/|\.py\b|DETAIL|" + MARK)

CASES = [
    ("nul-in-name", "POST", "/api/v1/applications", f'{{"name": "{MARK}\\u0000"}}', JSON, 422),
    ("nul-in-comments", "POST", "/api/v1/applications", f'{{"name": "n", "comments": "{MARK}\\u0000"}}', JSON, 422),
    (
        "nul-in-config-key",
        "POST",
        "/api/v1/configurations",
        f'{{"application_id": "{{app}}", "name": "c", "config": {{"{MARK}\\u0000": 1}}}}',
        JSON,
        422,
    ),
    (
        "nul-in-config-value",
        "POST",
        "/api/v1/configurations",
        f'{{"application_id": "{{app}}", "name": "c", "config": {{"k": ["{MARK}\\u0000"]}}}}',
        JSON,
        422,
    ),
    ("lone-surrogate", "POST", "/api/v1/applications", '{"name": "\\ud800"}', JSON, 422),
    (
        "nan",
        "POST",
        "/api/v1/configurations",
        '{"application_id": "{app}", "name": "c", "config": {"v": NaN}}',
        JSON,
        422,
    ),
    (
        "infinity",
        "POST",
        "/api/v1/configurations",
        '{"application_id": "{app}", "name": "c", "config": {"v": [-Infinity]}}',
        JSON,
        422,
    ),
    (
        "overflowing-float",
        "POST",
        "/api/v1/configurations",
        '{"application_id": "{app}", "name": "c", "config": {"v": 1e999}}',
        JSON,
        422,
    ),
    ("nan-as-name", "POST", "/api/v1/applications", '{"name": NaN}', JSON, 422),
    (
        "deep-config",
        "POST",
        "/api/v1/configurations",
        '{"application_id": "{app}", "name": "c", "config": ' + '{"a":' * 33 + "1" + "}" * 33 + "}",
        JSON,
        422,
    ),
    (
        "nested-thousands-deep",
        "POST",
        "/api/v1/configurations",
        '{"application_id": "{app}", "name": "c", "config": {"a": ' + "[" * 50_000 + "]" * 50_000 + "}}",
        JSON,
        None,
    ),
    ("not-utf8", "POST", "/api/v1/applications", b'{"name": "\xff\xfe\xfa"}', JSON, None),
    (
        "latin1-charset",
        "POST",
        "/api/v1/applications",
        b'{"name": "caf\xe9"}',
        {"content-type": "application/json; charset=latin-1"},
        415,
    ),
    ("invalid-json", "POST", "/api/v1/applications", f'{{"name": "{MARK}",', JSON, 422),
    ("json-array-body", "POST", "/api/v1/applications", f'["{MARK}"]', JSON, 422),
    ("empty-body", "POST", "/api/v1/applications", "", JSON, 422),
    ("text-plain", "POST", "/api/v1/applications", f'{{"name": "{MARK}"}}', {"content-type": "text/plain"}, 415),
    (
        "form",
        "POST",
        "/api/v1/applications",
        f"name={MARK}",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
    ),
    ("no-content-type", "PUT", "/api/v1/applications/{app}", f'{{"name": "{MARK}"}}', {}, 415),
    ("too-large", "POST", "/api/v1/applications", '{"name": "' + "x" * 2000 + '"}', JSON, 413),
    ("malformed-path-ulid", "GET", f"/api/v1/applications/{MARK}", None, {}, 422),
    ("out-of-range-ulid", "GET", "/api/v1/configurations/8ZZZZZZZZZZZZZZZZZZZZZZZZZ", None, {}, 422),
    ("ulid-with-bad-letter", "GET", "/api/v1/configurations/01ARZ3NDEKTSV4RRFFQ69G5FAU", None, {}, 422),
    ("number-as-body-ulid", "POST", "/api/v1/configurations", '{"application_id": 12345, "name": "c"}', JSON, 422),
    (
        "malformed-body-ulid",
        "POST",
        "/api/v1/configurations",
        f'{{"application_id": "{MARK}", "name": "c"}}',
        JSON,
        422,
    ),
    ("limit-not-a-number", "GET", f"/api/v1/applications?limit={MARK}", None, {}, 422),
    ("limit-repeated", "GET", "/api/v1/applications?limit=1&limit=1000", None, {}, 422),
    ("after-malformed", "GET", f"/api/v1/applications?after={MARK}", None, {}, 422),
    ("name-too-long-in-query", "GET", "/api/v1/applications?name=" + "x" * 300, None, {}, 422),
]


@pytest.fixture
async def hostile_client(database_url):
    async with app_client(create_app(settings_for(database_url, max_body_bytes=1024 * 1024))) as client:
        yield client


@pytest.mark.parametrize(("label", "method", "path", "body", "headers", "status"), CASES, ids=[c[0] for c in CASES])
async def test_hostile_input_is_a_clean_4xx_and_stores_nothing(
    database_url, label, method, path, body, headers, status
):
    limit = 1000 if label == "too-large" else 1024 * 1024
    async with app_client(create_app(settings_for(database_url, max_body_bytes=limit))) as client:
        app_id = (await client.post("/api/v1/applications", json={"name": "existing"})).json()["id"]
        content = body.replace(APP_ID_PLACEHOLDER, app_id) if isinstance(body, str) else body
        response = await client.request(
            method, path.replace(APP_ID_PLACEHOLDER, app_id), content=content, headers=headers
        )

        if status is None:
            assert 400 <= response.status_code < 500, response.text
        else:
            assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert not LEAKS.search(response.text), response.text
        assert response.json()["status"] == response.status_code
        applications = (await client.get("/api/v1/applications")).json()
        assert [application["name"] for application in applications] == ["existing"]
        assert (await client.get(f"/api/v1/applications/{app_id}")).json()["configuration_ids"] == []
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200


async def test_oversized_chunked_body_is_refused_while_streaming(database_url):
    sent = 0

    async def endless():
        nonlocal sent
        for _ in range(10_000):
            sent += 64 * 1024
            yield b" " * (64 * 1024)

    async with app_client(create_app(settings_for(database_url, max_body_bytes=1024 * 1024))) as client:
        response = await client.post("/api/v1/applications", content=endless(), headers=JSON)

    assert response.status_code == 413
    assert sent <= 2 * 1024 * 1024 + 64 * 1024  # stopped reading soon after the limit, not at 640 MB


async def test_unknown_path_and_method_are_problems(hostile_client):
    missing = await hostile_client.get(f"/api/v1/{MARK}")
    wrong_method = await hostile_client.patch(f"/api/v1/applications/{ULID()}")

    assert missing.status_code == 404
    assert wrong_method.status_code == 405
    for response in (missing, wrong_method):
        assert response.headers["content-type"] == "application/problem+json"
        assert MARK not in response.text
