"""The OpenAPI document: FastAPI's, plus the shared components (Problem, Config) and the
X-Request-ID header that every response carries."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from configsvc import request_ids
from configsvc.api.http.problems import Problem
from configsvc.api.openapi.headers import REQUEST_ID_HEADER
from configsvc.api.openapi.responses import READS_ONLY_MARK, problem_responses
from configsvc.fields import CONFIG_COMPONENTS, CONFIG_MARKER, CONFIG_REF, SCHEMA_MARKER, SCHEMA_REF

BEARER = "bearer"
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token (`cfgsvc_` and 43 characters) made by an admin (POST /api/v1/tokens) or by the "
    "operator (`make token`). Required once access control is enforced: from the first token on, or with "
    "AUTH_REQUIRED=true.",
}


def problem_components() -> dict[str, Any]:
    """The Problem schema (and what it refers to) for the OpenAPI components section."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {"Problem": schema, **definitions}


def openapi(app: FastAPI) -> dict[str, Any]:
    """The app's document, made once."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(problem_components() | CONFIG_COMPONENTS)
        schema["components"]["securitySchemes"] = {BEARER: BEARER_SCHEME}
        for path, path_item in schema["paths"].items():
            for method, operation in path_item.items():
                if path.startswith("/api/"):
                    # A token when access control is enforced; none needed while it is not.
                    operation["security"] = [{BEARER: []}, {}]
                    reads = method == "get" or bool(operation.pop(READS_ONLY_MARK, False))
                    statuses = (401,) if reads and not path.startswith("/api/v1/tokens") else (401, 403)
                    for status, entry in problem_responses(*statuses).items():
                        operation["responses"].setdefault(str(status), entry)
                for response in operation["responses"].values():
                    response.setdefault("headers", {})[request_ids.HEADER] = REQUEST_ID_HEADER
        app.openapi_schema = _shared_config(schema)
    return app.openapi_schema


def _shared_config(node: Any) -> Any:
    """Every schema marked as a config (a JSON Schema) becomes a reference to the one Config
    (JsonSchema) component."""
    if isinstance(node, dict):
        if node.get(CONFIG_MARKER):
            return dict(CONFIG_REF)
        if node.get(SCHEMA_MARKER):
            return dict(SCHEMA_REF)
        return {key: _shared_config(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_shared_config(item) for item in node]
    return node
