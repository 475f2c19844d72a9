import pytest

from configsvc.api.http.problems import PROBLEM_MEDIA_TYPE, location, problem_response
from configsvc.errors import (
    Conflict,
    ConstraintViolated,
    DatabaseUnavailable,
    InvalidChange,
    InvalidContent,
    InvalidSchema,
    NotFound,
    PoolExhausted,
    UnknownReference,
)
from test.client import app_client
from test.fakes import app_without_database

pytestmark = pytest.mark.anyio


async def raising_client(error: Exception):
    app = app_without_database()

    @app.get("/test/raise")
    async def raise_it() -> None:
        raise error

    return app_client(app)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("no such thing"), 404),
        (Conflict("taken"), 409),
        (ConstraintViolated("some_check", "check"), 409),
        (UnknownReference("unknown", field="application_id"), 422),
        (InvalidChange("immutable", field="application_id"), 422),
        (PoolExhausted("busy"), 503),
        (DatabaseUnavailable("down"), 503),
    ],
)
async def test_domain_errors_map_to_problem_details(error, status):
    async with await raising_client(error) as client:
        response = await client.get("/test/raise")

    body = response.json()
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert body["detail"] == error.message
    assert body["instance"] == f"urn:configsvc:request:{response.headers['x-request-id']}"
    assert ("errors" in body) == (status == 422)
    if status == 503:
        assert response.headers["retry-after"] == "1"
    if status == 422:
        assert body["errors"] == [
            {"loc": ["body", "application_id"], "msg": error.message, "type": body["errors"][0]["type"]}
        ]


@pytest.mark.parametrize(("error", "slug"), [(InvalidContent, "schema-violation"), (InvalidSchema, "invalid-schema")])
async def test_schema_refusals_are_422s_listing_every_violation(error, slug):
    violations = [
        {"loc": ["body", "config", "db", "port"], "msg": "must be of type integer", "type": "schema.type"},
        {"loc": ["body", "config", "db", "host"], "msg": "is required", "type": "schema.required"},
    ]
    async with await raising_client(error("refused", violations)) as client:
        response = await client.get("/test/raise")

    assert response.status_code == 422
    assert response.json()["type"] == f"urn:configsvc:problem:{slug}"
    assert response.json()["errors"] == violations


def test_a_named_field_is_located_in_the_body_or_among_the_headers():
    assert location("application_id") == ["body", "application_id"]
    assert location("idempotency-key") == ["header", "idempotency-key"]
    assert location(None) == []


async def test_a_route_needing_the_database_is_a_503_when_there_is_none():
    async with app_client(app_without_database()) as client:
        response = await client.get("/api/v1/applications")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


def test_problem_response_has_the_rfc_9457_members():
    response = problem_response({"state": {"request_id": "abc"}}, 404, "gone", slug="not-found")

    assert response.media_type == PROBLEM_MEDIA_TYPE
    assert response.body == (
        b'{"type":"urn:configsvc:problem:not-found","title":"Not Found","status":404,'
        b'"detail":"gone","instance":"urn:configsvc:request:abc"}'
    )
