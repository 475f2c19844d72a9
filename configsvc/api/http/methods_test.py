import pytest

from test.client import app_client
from test.fakes import app_without_database

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client():
    async with app_client(app_without_database()) as http:
        yield http


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/api/v1/applications/01JD8X7Q5V9T0M3K2R6W4Y1Z8N", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("PATCH", "/api/v1/applications", "GET, HEAD, POST, OPTIONS"),
        ("PATCH", "/api/v1/configurations/01JD8X7Q5V9T0M3K2R6W4Y1Z8N", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("PUT", "/api/v1/configurations", "POST, OPTIONS"),
        ("PUT", "/api/v1/configurations/by-name", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/v1/configurations/by-name", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/v1/tokens/current", "GET, HEAD, OPTIONS"),  # not a revocation of a token "current"
        ("PATCH", "/api/v1/configurations/01JD8X7Q5V9T0M3K2R6W4Y1Z8N/schema", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("GET", "/api/v1/configurations/01JD8X7Q5V9T0M3K2R6W4Y1Z8N/revisions/1/restore", "POST, OPTIONS"),
        ("POST", "/healthz", "GET, HEAD, OPTIONS"),
    ],
)
async def test_405_lists_every_method_of_the_path(client, method, path, allow):
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/problem+json"


async def test_options_answers_with_the_methods_of_the_path(client):
    response = await client.options("/api/v1/applications")

    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert response.content == b""
    assert (await client.options("/api/v1/nowhere")).status_code == 404


async def test_head_is_a_get_without_its_body(client):
    get = await client.get("/healthz")
    head = await client.head("/healthz")
    unavailable = await client.head("/api/v1/applications")  # the fake has no database: 503, as GET

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]
    assert (unavailable.status_code, unavailable.content) == (503, b"")
    assert unavailable.headers["retry-after"] == "1"
    assert "x-request-id" in head.headers


async def test_head_where_there_is_no_get_is_405(client):
    response = await client.head("/api/v1/configurations")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST, OPTIONS"
