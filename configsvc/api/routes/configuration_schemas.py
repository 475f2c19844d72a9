"""HTTP routes for a configuration's JSON Schema (SPEC §4d): set, read and remove it, and check a
candidate config against it without storing anything (what a CI pipeline asks before it writes)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status

from configsvc.api.deps import AuthenticationDep, UowDep, authenticated, reader
from configsvc.api.http.auth import read_as
from configsvc.api.http.conditions import IfMatchHeader, if_match_list
from configsvc.api.http.responses import JSON, conditional, representation_response
from configsvc.api.openapi.headers import documented_headers
from configsvc.api.openapi.parameters import IF_NONE_MATCH_PARAMETER
from configsvc.api.openapi.responses import DELETED_RESPONSES, NOT_MODIFIED, READS_ONLY, problem_responses
from configsvc.api.routes.configurations import ConfigurationId, may_read_configuration, may_write_configuration
from configsvc.api.routes.writes import counted_as
from configsvc.fields import SchemaObject
from configsvc.repositories.configuration_schemas import BODY_CONFIG
from configsvc.schemas import ConfigurationCandidate, Validity
from configsvc.views import kinds

router = APIRouter(prefix="/configurations", tags=["schemas"])

# The body is the schema itself: its violations and refusals are located from the body's root.
SchemaBody = Annotated[SchemaObject, Body(description="A JSON Schema, draft 2020-12.")]
SCHEMA_WRITTEN = {"headers": documented_headers()}
VALID = b'{"valid":true}'


@router.put(
    "/{configuration_id}/schema",
    response_model=SchemaObject,
    responses={200: SCHEMA_WRITTEN, 201: SCHEMA_WRITTEN | {"description": "Created: there was none."}}
    | problem_responses(400, 404, 412, 413, 415, 422),
)
@counted_as("schema", "replace")
async def put_schema(
    *,
    configuration_id: ConfigurationId,
    schema: SchemaBody,
    uow: UowDep,
    request: Request,
    if_match: IfMatchHeader = None,
) -> Response:
    """Set the JSON Schema that every write of the configuration's config must satisfy (201 when it
    had none). Its current config must satisfy it too: otherwise a 422 lists why, and nothing changes.
    Audited as `schema.create` or `schema.replace`."""
    await may_write_configuration(request, authenticated(request), configuration_id)
    compiled = uow.schemas.compile(schema, loc=["body"])  # before any connection is taken
    stored, created = await uow.schemas.put(configuration_id, schema, compiled, if_match=if_match_list(if_match))
    return representation_response(stored, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@router.get(
    "/{configuration_id}/schema",
    response_model=SchemaObject,
    responses={200: {"headers": documented_headers()}} | NOT_MODIFIED | problem_responses(404, 422),
    openapi_extra={"parameters": [IF_NONE_MATCH_PARAMETER]},
)
async def get_schema(*, configuration_id: ConfigurationId, auth: AuthenticationDep, request: Request) -> Response:
    """The configuration's JSON Schema (404 when it has none); with If-None-Match naming its current
    ETag, a bodiless 304."""
    schema, _ = await read_as(auth.principal, reader(request), kinds.SCHEMA, configuration_id)
    return conditional(request, schema)


@router.delete(
    "/{configuration_id}/schema",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=DELETED_RESPONSES | problem_responses(404, 412, 422),
)
@counted_as("schema", "delete")
async def delete_schema(
    *,
    configuration_id: ConfigurationId,
    uow: UowDep,
    request: Request,
    if_match: IfMatchHeader = None,
) -> Response:
    """Remove the configuration's JSON Schema: its config is no longer checked. Audited as `schema.delete`."""
    await may_write_configuration(request, authenticated(request), configuration_id)
    await uow.schemas.remove(configuration_id, if_match=if_match_list(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{configuration_id}/validate",
    response_model=Validity,
    # 409: only if the schema kept changing while the candidate was being checked.
    responses=problem_responses(400, 404, 409, 413, 415, 422),
    openapi_extra=READS_ONLY,
)
async def validate_config(
    *,
    configuration_id: ConfigurationId,
    body: ConfigurationCandidate,
    uow: UowDep,
    request: Request,
) -> Any:
    """Check a candidate config against the configuration's schema, storing nothing: 200
    `{"valid": true}`, or the 422 a write of it would get (for CI pipelines). A token that may read
    the configuration may ask."""
    await may_read_configuration(request, authenticated(request), configuration_id)
    await uow.schemas.check(configuration_id, body.config, BODY_CONFIG)
    return Response(VALID, media_type=JSON)
