import gc

import pytest

from configsvc.main import create_app
from configsvc.migrations import MigrationError
from configsvc.settings import Settings
from test.client import app_client
from test.fakes import NoDatabase

pytestmark = pytest.mark.anyio


async def test_lifespan_opens_the_database_and_closes_it_on_shutdown(database_url):
    settings = Settings(_env_file=None, database_url=database_url, db_pool_max_size=3)
    app = create_app(settings)

    async with app_client(app) as client:
        database = app.state.database
        assert database.max_size == 3
        assert (await client.get("/openapi.json")).status_code == 200

    assert not database.is_open


def test_a_service_without_its_migrations_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.setattr("configsvc.migrations.MIGRATIONS_DIR", tmp_path)

    with pytest.raises(MigrationError, match="no migration files found"):
        create_app(Settings(_env_file=None))


async def test_a_database_given_to_the_app_is_used_as_it_is():
    database = NoDatabase()
    app = create_app(Settings(_env_file=None), database=database)

    async with app_client(app) as client:
        assert app.state.database is database
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503  # a pool never opened: unavailable

    assert not database.is_open


async def test_objects_alive_at_start_up_are_kept_out_of_the_collectors_way(database_url):
    app = create_app(Settings(_env_file=None, database_url=database_url))

    async with app_client(app):
        assert gc.get_freeze_count() > 10_000  # modules, routes, models, the pool

    assert gc.get_freeze_count() == 0


async def test_openapi_documents_every_status_with_the_problem_schema(database_url):
    app = create_app(Settings(_env_file=None, database_url=database_url))

    async with app_client(app) as client:
        schema = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")

    assert docs.status_code == 200
    operations = {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    expected = {
        ("GET", "/healthz"): {"200"},
        ("GET", "/readyz"): {"200", "500", "503"},
        ("POST", "/api/v1/applications"): {"201", "400", "409", "413", "415", "422", "500", "503"},
        ("GET", "/api/v1/applications"): {"200", "422", "500", "503"},
        ("GET", "/api/v1/applications/{application_id}"): {"200", "404", "422", "500", "503"},
        ("PUT", "/api/v1/applications/{application_id}"): {
            "200",
            "400",
            "404",
            "409",
            "412",
            "413",
            "415",
            "422",
            "500",
            "503",
        },
        ("POST", "/api/v1/configurations"): {"201", "400", "409", "413", "415", "422", "500", "503"},
        ("GET", "/api/v1/configurations/{configuration_id}"): {"200", "304", "404", "422", "500", "503"},
        ("PUT", "/api/v1/configurations/{configuration_id}"): {
            "200",
            "400",
            "404",
            "409",
            "412",
            "413",
            "415",
            "422",
            "500",
            "503",
        },
        ("GET", "/api/v1/configurations/{configuration_id}/revisions"): {"200", "404", "422", "500", "503"},
        ("GET", "/api/v1/configurations/{configuration_id}/revisions/{version}"): {"200", "404", "422", "500", "503"},
        ("POST", "/api/v1/configurations/{configuration_id}/revisions/{version}/restore"): {
            "200",
            "404",
            "409",
            "412",
            "422",
            "500",
            "503",
        },
    }
    assert {key: set(operation["responses"]) for key, operation in operations.items()} == expected
    for operation in operations.values():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }
    assert "Problem" in schema["components"]["schemas"]


async def test_openapi_documents_the_concurrency_headers(database_url):
    schema = create_app(Settings(_env_file=None, database_url=database_url)).openapi()
    paths = schema["paths"]

    def header_names(operation):
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}

    assert header_names(paths["/api/v1/applications"]["post"]) == {"Idempotency-Key"}
    assert header_names(paths["/api/v1/configurations"]["post"]) == {"Idempotency-Key"}
    assert header_names(paths["/api/v1/configurations/{configuration_id}"]["put"]) == {"If-Match"}
    assert header_names(paths["/api/v1/applications/{application_id}"]["put"]) == {"If-Match"}
    assert header_names(paths["/api/v1/configurations/{configuration_id}"]["get"]) == {"If-None-Match"}
    created = paths["/api/v1/configurations"]["post"]["responses"]["201"]
    assert {"ETag", "Location", "Idempotent-Replayed"} <= created["headers"].keys()
    assert "ETag" in paths["/api/v1/configurations/{configuration_id}"]["get"]["responses"]["200"]["headers"]
