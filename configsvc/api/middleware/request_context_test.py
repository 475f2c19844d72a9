import logging
import uuid

import pytest

from configsvc.api.middleware.body_guard import is_json
from configsvc.logs import RequestIdFilter
from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio

BASE = "/api/v1/applications"


async def test_every_response_carries_a_request_id(client):
    ok = await client.get(BASE)
    missing = await client.get("/nowhere")

    assert ok.headers["x-request-id"] != missing.headers["x-request-id"]
    assert missing.json()["instance"] == f"urn:configsvc:request:{missing.headers['x-request-id']}"


async def test_a_well_formed_request_id_sent_is_kept_in_the_header_the_problem_and_the_logs(database_url, caplog):
    sent = "gw-7f3a:1733205.42_b"
    app = create_app(settings_for(database_url))

    @app.get("/test/crash")
    async def crash() -> None:
        logging.getLogger("configsvc.requests").error("while serving")
        raise ValueError("boom")

    caplog.handler.addFilter(RequestIdFilter())  # as the service's own handler does
    with caplog.at_level(logging.ERROR, logger="configsvc.requests"):
        async with app_client(app) as client:
            missing = await client.get("/nowhere", headers={"X-Request-ID": sent})
            crashed = await client.get("/test/crash", headers={"X-Request-ID": sent})

    assert missing.headers["x-request-id"] == sent
    assert missing.json()["instance"] == f"urn:configsvc:request:{sent}"
    assert crashed.headers["x-request-id"] == sent
    assert [record.request_id for record in caplog.records] == [sent, sent]  # what every log line carries
    assert sent in caplog.records[1].getMessage()  # and the unexpected error's own line


@pytest.mark.parametrize("sent", ["", "x" * 129, "has space", "semi;colon", "ünïcode"])
async def test_an_ill_formed_request_id_is_replaced_by_a_new_one(client, sent):
    response = await client.get("/nowhere", headers={"X-Request-ID": sent.encode()})

    assert response.headers["x-request-id"] != sent
    assert str(uuid.UUID(response.headers["x-request-id"])) == response.headers["x-request-id"]


async def test_unexpected_errors_are_a_logged_500_problem_without_internals(database_url, caplog):
    app = create_app(settings_for(database_url))

    @app.get("/test/crash")
    async def crash() -> None:
        raise ValueError("secret internals at /srv/configsvc/db.py")

    with caplog.at_level(logging.ERROR, logger="configsvc.requests"):
        async with app_client(app) as client:
            response = await client.get("/test/crash")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] in caplog.text
    assert "secret internals" in caplog.text


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", None]
)
async def test_non_json_bodies_are_415(client, content_type):
    headers = {"content-type": content_type} if content_type else {}

    response = await client.post(BASE, content=b'{"name": "x"}', headers=headers)

    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


async def test_json_with_utf8_charset_is_accepted(client):
    headers = {"content-type": "application/json; charset=UTF-8"}

    response = await client.post(BASE, content=b'{"name": "x"}', headers=headers)

    assert response.status_code == 201


async def test_oversized_body_with_content_length_is_413(database_url):
    async with app_client(create_app(settings_for(database_url, max_body_bytes=100))) as client:
        response = await client.post(BASE, json={"name": "x" * 200})

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_oversized_chunked_body_is_413(database_url):
    async def chunks():
        for _ in range(10):
            yield b"x" * 50

    async with app_client(create_app(settings_for(database_url, max_body_bytes=100))) as client:
        response = await client.post(BASE, content=chunks(), headers={"content-type": "application/json"})
        listing = await client.get(BASE)

    assert response.status_code == 413
    assert listing.json() == []


def test_is_json():
    assert is_json("application/json")
    assert is_json("Application/JSON; charset=utf-8")
    assert not is_json("application/problem+json")
    assert not is_json("")
