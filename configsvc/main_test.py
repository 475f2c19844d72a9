import gc

import pytest

from configsvc.api.http.conditions import ENTITY_TAG_LIST_PATTERN
from configsvc.fields import NO_NUL_PATTERN
from configsvc.main import create_app
from configsvc.migrations import MigrationError
from configsvc.settings import Settings
from test.client import app_client
from test.fakes import NoDatabase, app_without_database

pytestmark = pytest.mark.anyio


async def test_lifespan_opens_the_database_and_closes_it_on_shutdown(database_url):
    settings = Settings(_env_file=None, database_url=database_url, db_pool_max_size=3)
    app = create_app(settings)

    async with app_client(app) as client:
        database = app.state.services.database
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
        assert app.state.services.database is database
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
    # Every /api/ operation may answer 401 (a token is needed once access control is enforced), and
    # every one that changes something 403 (a token that may read but not write).
    expected = {
        ("GET", "/healthz"): {"200"},
        ("GET", "/readyz"): {"200", "500", "503"},
        ("POST", "/api/v1/applications"): {"201", "400", "409", "413", "415", "422", "500", "503"},
        ("GET", "/api/v1/applications"): {"200", "422", "500", "503"},
        ("GET", "/api/v1/applications/{application_id}"): {"200", "304", "404", "422", "500", "503"},
        ("DELETE", "/api/v1/applications/{application_id}"): {"204", "404", "409", "412", "422", "500", "503"},
        ("GET", "/api/v1/applications/{application_id}/configurations"): {"200", "304", "404", "422", "500", "503"},
        ("GET", "/api/v1/configurations/by-name"): {"200", "304", "404", "422", "500", "503"},
        ("DELETE", "/api/v1/configurations/{configuration_id}"): {"204", "404", "412", "422", "500", "503"},
        ("PUT", "/api/v1/applications/{application_id}"): {"200", "400", "404", "409", "412", "413", "415", "422"}
        | {"500", "503"},
        ("PUT", "/api/v1/configurations/{configuration_id}/schema"): {
            *("200", "201", "400", "404", "412", "413", "415", "422", "500", "503"),
        },
        ("GET", "/api/v1/configurations/{configuration_id}/schema"): {"200", "304", "404", "422", "500", "503"},
        ("DELETE", "/api/v1/configurations/{configuration_id}/schema"): {"204", "404", "412", "422", "500", "503"},
        ("POST", "/api/v1/configurations/{configuration_id}/validate"): {
            *("200", "400", "404", "409", "413", "415", "422", "500", "503"),
        },
        ("POST", "/api/v1/configurations"): {"201", "400", "409", "413", "415", "422", "500", "503"},
        ("GET", "/api/v1/configurations/{configuration_id}"): {"200", "304", "404", "422", "500", "503"},
        ("PUT", "/api/v1/configurations/{configuration_id}"): {"200", "400", "404", "409", "412", "413", "415"}
        | {"422", "500", "503"},
        ("GET", "/api/v1/configurations/{configuration_id}/revisions"): {"200", "404", "422", "500", "503"},
        ("GET", "/api/v1/configurations/{configuration_id}/revisions/{version}"): {"200", "404", "422", "500", "503"},
        ("POST", "/api/v1/configurations/{configuration_id}/revisions/{version}/restore"): {"200", "400", "404", "409"}
        | {"412", "413", "415", "422", "500", "503"},
        ("POST", "/api/v1/tokens"): {"201", "400", "409", "413", "415", "422", "500", "503"},
        ("GET", "/api/v1/tokens"): {"200", "422", "500", "503"},
        ("GET", "/api/v1/tokens/current"): {"200", "500", "503"},
        ("GET", "/api/v1/tokens/{token_id}"): {"200", "404", "422", "500", "503"},
        ("DELETE", "/api/v1/tokens/{token_id}"): {"204", "404", "422", "500", "503"},
        ("GET", "/api/v1/audit"): {"200", "422", "500", "503"},
    }
    # A POST that only reads (validate) never answers 403, as no GET outside /tokens does.
    reads_only = {("POST", "/api/v1/configurations/{configuration_id}/validate")}
    for (method, path), statuses in expected.items():
        if path.startswith("/api/"):
            statuses.add("401")
            if (method != "GET" and (method, path) not in reads_only) or path.startswith("/api/v1/tokens"):
                statuses.add("403")
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
    assert header_names(paths["/api/v1/configurations/{configuration_id}"]["get"]) == {"If-None-Match", "Prefer"}
    created = paths["/api/v1/configurations"]["post"]["responses"]["201"]
    assert {"ETag", "Location", "Idempotent-Replayed"} <= created["headers"].keys()
    assert "ETag" in paths["/api/v1/configurations/{configuration_id}"]["get"]["responses"]["200"]["headers"]


def openapi() -> dict:
    return app_without_database().openapi()


def operations(schema: dict) -> dict:
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_the_openapi_document_is_valid_openapi_3_1():
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    schema = openapi()

    assert schema["openapi"].startswith("3.1")
    assert [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(schema)] == []


def test_every_operation_has_a_short_stable_id():
    ids = {key: operation["operationId"] for key, operation in operations(openapi()).items()}

    assert ids[("POST", "/api/v1/configurations/{configuration_id}/revisions/{version}/restore")] == "restore_revision"
    assert ids[("GET", "/api/v1/applications")] == "list_applications"
    assert len(set(ids.values())) == len(ids)
    assert all(operation_id.isidentifier() and "api_v1" not in operation_id for operation_id in ids.values())


def test_every_config_is_the_one_shared_component():
    schemas = openapi()["components"]["schemas"]

    configs = [
        schemas[name]["properties"]["config"] for name in schemas if "config" in schemas[name].get("properties", {})
    ]

    assert len(configs) == 5  # create, replace, configuration, revision, a candidate to validate
    assert all(config == {"$ref": "#/components/schemas/Config"} for config in configs)
    assert schemas["ConfigurationCreate"]["properties"]["schema"]["anyOf"][0] == {
        "$ref": "#/components/schemas/JsonSchema"
    }
    assert "2020-12" in schemas["JsonSchema"]["description"]
    # Any JSON values, said so that generators read it (openapi-python-client could not read a
    # recursive union, and dropped every model holding a config); the rest is in the description.
    assert schemas["Config"]["type"] == "object"
    assert schemas["Config"]["additionalProperties"] is True
    assert "32 levels" in schemas["Config"]["description"]
    assert "NUL" in schemas["Config"]["description"]


def test_conditional_headers_are_entity_tag_strings_never_null():
    ops = operations(openapi())
    put = {p["name"]: p for p in ops[("PUT", "/api/v1/configurations/{configuration_id}")]["parameters"]}
    get = {p["name"]: p for p in ops[("GET", "/api/v1/configurations/{configuration_id}")]["parameters"]}

    for header in (put["If-Match"], get["If-None-Match"]):
        assert header["schema"]["type"] == "string"
        assert "anyOf" not in header["schema"]
        assert header["schema"]["pattern"] == ENTITY_TAG_LIST_PATTERN
        assert "entity-tag" in header["description"] or "ETag" in header["description"]


def test_no_header_parameter_is_nullable():
    """A generated client offers None for a nullable header, and httpx cannot send one."""
    headers = [
        (key, parameter)
        for key, operation in operations(openapi()).items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header"
    ]

    assert {parameter["name"] for _, parameter in headers} == {"Idempotency-Key", "If-Match", "If-None-Match", "Prefer"}
    for key, parameter in headers:
        assert parameter["schema"]["type"] == "string", (key, parameter["name"])
        assert "anyOf" not in parameter["schema"], (key, parameter["name"])


def test_text_rules_are_in_the_schema():
    schemas = openapi()["components"]["schemas"]
    name = schemas["ApplicationWrite"]["properties"]["name"]
    comments = schemas["ApplicationWrite"]["properties"]["comments"]

    assert "NUL" in name["description"]
    assert name["pattern"] == NO_NUL_PATTERN
    assert "NUL" in comments["description"]
    assert comments["anyOf"][0]["pattern"] == NO_NUL_PATTERN


def test_response_headers_are_documented():
    ops = operations(openapi())

    for operation in ops.values():
        for status, response in operation["responses"].items():
            assert response["headers"]["X-Request-ID"]["required"] is True, status
            # Not a UUID: a well-formed id the request sent comes back as it is.
            assert response["headers"]["X-Request-ID"]["schema"]["pattern"] == "^[A-Za-z0-9._:-]{1,128}$"
            assert "format" not in response["headers"]["X-Request-ID"]["schema"]
            if status == "503":
                assert response["headers"]["Retry-After"]["required"] is True
    get_configuration = ops[("GET", "/api/v1/configurations/{configuration_id}")]["responses"]
    assert "ETag" in get_configuration["304"]["headers"]
    for path in ("/api/v1/applications", "/api/v1/configurations/{configuration_id}/revisions"):
        assert "Link" in ops[("GET", path)]["responses"]["200"]["headers"]
