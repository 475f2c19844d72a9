import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from fastapi import Request
from ulid import ULID

from configsvc.access.principal import OPEN
from configsvc.api.deps import UowDep, get_uow
from configsvc.api.http.auth import Authentication
from configsvc.db.loop_reads import ReadSessions
from configsvc.db.session import Session
from configsvc.main import create_app
from configsvc.representations import Representation
from configsvc.validation.validators import Validators
from configsvc.views.answer import Answer
from configsvc.views.batches import Batches
from configsvc.views.cache import ReadCache
from configsvc.views.kinds import ReadKind
from test.client import app_client, settings_for
from test.sql import sql

pytestmark = pytest.mark.anyio

REJECT_AT_COMMIT = """
CREATE FUNCTION reject_at_commit() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'rejected at commit'; END $$;
CREATE CONSTRAINT TRIGGER reject_at_commit AFTER INSERT ON applications
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reject_at_commit();
"""


async def test_a_failed_commit_is_an_error_response_and_leaves_no_row(client, database_url):
    sql(database_url, REJECT_AT_COMMIT)

    response = await client.post("/api/v1/applications", json={"name": "doomed"})

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "rejected at commit" not in response.text
    assert sql(database_url, "SELECT count(*) FROM applications") == [(0,)]


async def test_a_handler_error_after_writes_rolls_everything_back(database_url):
    app = create_app(settings_for(database_url))

    @app.post("/test/write-then-fail")
    async def write_then_fail(*, uow: UowDep) -> None:
        application = await uow.applications.create(id=str(ULID()), name="half", comments=None)
        await uow.configurations.create(
            id=str(ULID()), application_id=application.id, name="c", comments=None, config={}
        )
        raise RuntimeError("boom after two writes")

    async with app_client(app) as client:
        response = await client.post("/test/write-then-fail")

    assert response.status_code == 500
    assert "boom" not in response.text
    assert sql(database_url, "SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM configurations)") == [
        (0, 0)
    ]


async def test_cancellation_rolls_back_and_releases_the_connection(database, database_url):
    request = SimpleNamespace(
        app=SimpleNamespace(
            state=SimpleNamespace(services=SimpleNamespace(database=database, validators=Validators()))
        ),
        scope={"state": {"authentication": Authentication(OPEN, None)}},  # as found before the Unit of Work
    )
    uow_for_request = asynccontextmanager(get_uow)
    inside = asyncio.Event()

    async def request_handling() -> None:
        async with uow_for_request(request) as uow:
            await uow.applications.create(id=str(ULID()), name="cancelled", comments=None)
            inside.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(request_handling())
    await asyncio.wait([task, asyncio.ensure_future(inside.wait())], return_when=asyncio.FIRST_COMPLETED)
    assert not task.done(), task
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert sql(database_url, "SELECT count(*) FROM applications") == [(0,)]
    # Every slot is free again: max_size leases at once succeed without waiting.
    async with asyncio.timeout(1):
        leases = [Session(database) for _ in range(database.max_size)]
        for lease in leases:
            await lease.__aenter__()
        for lease in leases:
            await lease.__aexit__(None, None, None)


async def test_repeated_query_parameters_are_refused_where_query_parameters_are_read(client):
    applications = await client.get("/api/v1/applications?limit=5&name=a&limit=6&after=x&after=y")
    revisions = await client.get(f"/api/v1/configurations/{'0' * 26}/revisions?limit=1&limit=2")
    elsewhere = await client.get("/healthz?probe=1&probe=2")  # no query parameters: all ignored

    assert applications.status_code == 422
    assert [error["loc"] for error in applications.json()["errors"]] == [["query", "after"], ["query", "limit"]]
    assert revisions.status_code == 422
    assert [error["loc"] for error in revisions.json()["errors"]] == [["query", "limit"]]
    assert elsewhere.status_code == 200


async def test_invalid_requests_are_422_even_when_every_connection_is_busy(database_url):
    app = create_app(settings_for(database_url, db_pool_min_size=0, db_pool_max_size=1, db_lease_timeout_seconds=0.2))
    async with app_client(app) as client, Session(app.state.services.database):
        malformed_id = await client.get("/api/v1/applications/not-a-ulid")
        invalid_body = await client.post("/api/v1/applications", json={"name": ""})

    assert malformed_id.status_code == 422
    assert invalid_body.status_code == 422


async def test_reads_run_without_a_transaction_and_writes_within_one(database_url):
    app = create_app(settings_for(database_url))
    seen: list[bool] = []

    async def record(session, keys=()) -> dict:
        await session.fetch_one("SELECT 1")
        seen.append(session.connection.autocommit)
        return {key: Answer.found(Representation(b"{}", None)) for key in keys}

    @app.get("/test/autocommit")
    async def read(*, request: Request) -> None:
        # The read side's batches (what every GET goes through), with a view that records.
        sessions = ReadSessions(request.app.state.services.database, None)  # pooled connections, not the loop's
        batches = Batches(ReadKind("recorded", record), sessions, ReadCache(0))
        await batches.load("key")

    @app.post("/test/transaction")
    async def write(*, uow: UowDep) -> None:
        await record(uow.session)

    async with app_client(app) as client:
        await client.get("/test/autocommit")
        await client.post("/test/transaction")

    assert seen == [True, False]


async def test_a_write_is_authenticated_from_the_database_and_a_read_from_memory_after_a_sync(database_url):
    """Under writes, a sync finds commits and sends a marker (a NOTIFY transaction): a write's
    authentication reads the database instead, and so needs no sync at all."""
    app = create_app(settings_for(database_url))
    async with app_client(app) as client:
        reader = app.state.services.reader
        app_id = (await client.post("/api/v1/applications", json={"name": "billing"})).json()["id"]
        await client.get(f"/api/v1/applications/{app_id}")  # the enforcement answer is cached now
        round_trips = reader.listener.sync.round_trips

        for n in range(5):
            response = await client.put(f"/api/v1/applications/{app_id}", json={"name": "billing", "comments": str(n)})
            assert response.status_code == 200, response.text
        assert reader.listener.sync.round_trips == round_trips

        await client.get(f"/api/v1/applications/{app_id}")
        assert reader.listener.sync.round_trips == round_trips + 1
