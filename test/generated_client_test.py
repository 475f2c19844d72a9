"""A client generated from /openapi.json by openapi-python-client, the most used Python generator:
every operation generated, no warning, and the generated code drives the service."""

import importlib
import inspect
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio

PACKAGE = "configsvc_generated_client"


def generated_client(document: dict, folder: Path) -> tuple[ModuleType, list[str]]:
    """Generate the client package into `folder` from `document` (a file, no network; no post-hooks,
    which would run ruff on the result); return it and the generator's warnings and errors."""
    source = folder / "openapi.json"
    source.write_text(json.dumps(document))
    config = Config.from_sources(
        ConfigFile(post_hooks=[]),
        MetaType.NONE,
        document_source=source,
        file_encoding="utf-8",
        overwrite=True,
        output_path=folder / PACKAGE,
    )
    problems = [f"{error.level}: {error.header} {error.detail}" for error in generate(config=config)]
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE), problems
    finally:
        sys.path.remove(str(folder))


@pytest.fixture
def forget_generated():
    yield
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def operation(package: ModuleType, tag: str, operation_id: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.api.{tag}.{operation_id}")


async def test_the_generated_client_has_every_operation_and_drives_the_service(
    database_url, tmp_path, forget_generated
):
    async with app_client(create_app(settings_for(database_url))) as http:
        document = (await http.get("/openapi.json")).json()
        package, problems = generated_client(document, tmp_path)

        assert problems == []
        operations = {(op["tags"][0], op["operationId"]) for item in document["paths"].values() for op in item.values()}
        generated = {
            (tag, operation_id)
            for tag, operation_id in operations
            if hasattr(operation(package, tag, operation_id), "asyncio_detailed")
        }
        assert generated == operations
        print("generated operations:", ", ".join(sorted(operation_id for _, operation_id in generated)))

        api = {operation_id: operation(package, tag, operation_id).asyncio_detailed for tag, operation_id in operations}
        models = importlib.import_module(f"{PACKAGE}.models")
        # Header parameters are strings, never None: httpx cannot send a header without a value.
        for name in ("idempotency_key", "if_match"):
            annotation = str(
                inspect.signature(api["create_configuration" if name == "idempotency_key" else "replace_configuration"])
                .parameters[name]
                .annotation
            )
            assert "None" not in annotation, annotation

        client = package.Client(base_url=str(http.base_url), raise_on_unexpected_status=True)
        client.set_async_httpx_client(http)
        config = {"debug": True, "limits": {"rps": 10.5, "burst": None}, "hosts": ["a", {"b": [1, 2]}]}

        application = await api["create_application"](client=client, body=models.ApplicationWrite(name="payments"))
        created = await api["create_configuration"](
            client=client,
            idempotency_key="create-production-1",
            body=models.ConfigurationCreate(
                application_id=application.parsed.id, name="production", config=models.Config.from_dict(config)
            ),
        )
        configuration_id, etag = created.parsed.id, created.headers["etag"]
        replaced = await api["replace_configuration"](
            client=client,
            configuration_id=configuration_id,
            if_match=etag,
            body=models.ConfigurationReplace(
                name="production", config=models.Config.from_dict(config | {"debug": False})
            ),
        )
        stale = await api["replace_configuration"](
            client=client,
            configuration_id=configuration_id,
            if_match=etag,
            body=models.ConfigurationReplace(name="production", config=models.Config.from_dict({})),
        )
        by_name = await api["get_configuration_by_name"](client=client, application="payments", name="production")
        deleted = await api["delete_configuration"](
            client=client, configuration_id=configuration_id, if_match=replaced.headers["etag"]
        )
        gone = await api["get_configuration"](client=client, configuration_id=configuration_id)

    assert (application.status_code, created.status_code, replaced.status_code) == (201, 201, 200)
    assert isinstance(created.parsed, models.Configuration)
    assert created.parsed.config.to_dict() == config
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Problem)
    assert by_name.status_code == 200
    assert by_name.parsed.id == configuration_id
    assert by_name.parsed.config.to_dict() == config | {"debug": False}
    assert by_name.headers["etag"] == replaced.headers["etag"]
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.parsed.instance == f"urn:configsvc:request:{gone.headers['x-request-id']}"
