"""HTTP routes for configurations and their revision history."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import Field
from ulid import ULID

from configsvc.api.deps import AuthenticationDep, UowDep, authenticated, reader
from configsvc.api.http import query
from configsvc.api.http.auth import Authentication, may_write, read_as
from configsvc.api.http.conditions import IfMatchHeader, expected_etags
from configsvc.api.http.idempotency import IdempotencyKey, idempotent
from configsvc.api.http.methods import refuse_other_methods
from configsvc.api.http.query import QueryModel
from configsvc.api.http.responses import page_response, representation_response
from configsvc.api.http.watching import watched
from configsvc.api.openapi.headers import documented_headers
from configsvc.api.openapi.parameters import IF_NONE_MATCH_PARAMETER, PREFER_PARAMETER, query_parameters
from configsvc.api.openapi.responses import (
    CREATED_RESPONSES,
    DELETED_RESPONSES,
    LIST_RESPONSES,
    REPLACED_RESPONSES,
    WATCHABLE,
    WATCHED_RESPONSES,
    problem_responses,
)
from configsvc.api.routes.writes import counted_as
from configsvc.errors import NotFound, UnknownReference
from configsvc.fields import Name, UlidPath
from configsvc.repositories.configurations import UNKNOWN_APPLICATION
from configsvc.schemas import Configuration, ConfigurationCreate, ConfigurationReplace, Revision
from configsvc.views import kinds
from configsvc.views.configurations import NO_CONFIGURATION
from configsvc.views.keys import ByName, RevisionOf, RevisionsPage

router = APIRouter(prefix="/configurations", tags=["configurations"])

ConfigurationId = Annotated[UlidPath, Path(description="The configuration's ULID (either case).")]
Version = Annotated[int, Path(ge=1, le=2_147_483_647, description="A version of the configuration.")]
READ_RESPONSES = WATCHED_RESPONSES | problem_responses(404, 422)
SCHEMA = ["body", "schema"]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Configuration,
    responses=CREATED_RESPONSES,
)
@counted_as("configuration", "create")
async def create_configuration(
    *,
    body: ConfigurationCreate,
    uow: UowDep,
    request: Request,
    idempotency_key: IdempotencyKey,
) -> Response:
    """Create a configuration (version 1) in an application; its URL is in the Location header. With
    `schema`, it is born guarded: config must satisfy it (a 422 lists why not), and so must every
    later write."""
    unknown = UnknownReference(UNKNOWN_APPLICATION, field="application_id")
    may_write(authenticated(request).principal, body.application_id, absent=unknown)
    # Compiled before any connection is taken: a refused schema costs the database nothing.
    schema = None if body.json_schema is None else (body.json_schema, uow.schemas.compile(body.json_schema, loc=SCHEMA))

    async def create() -> Response:
        id = str(ULID())
        configuration = await uow.configurations.create(
            id=id,
            application_id=body.application_id,
            name=body.name,
            comments=body.comments,
            config=body.config,
            schema=schema,
        )
        location = request.url_for("get_configuration", configuration_id=id).path
        return representation_response(configuration, status_code=status.HTTP_201_CREATED, location=location)

    return await idempotent(uow, request, idempotency_key, body, create)


class ByNameQuery(QueryModel):
    application: Annotated[Name, Field(description="The application's name.")]
    name: Annotated[Name, Field(description="The configuration's name in that application.")]


class RevisionsQuery(QueryModel):
    limit: Annotated[int, Field(ge=1, le=1000, description="Page size.")] = 100
    before: Annotated[int | None, Field(ge=1, le=2_147_483_647, description="Only versions below this one.")] = None


# Declared before /{configuration_id}, which would otherwise take "by-name" for an id.
@router.get(
    "/by-name",
    response_model=Configuration,
    responses=READ_RESPONSES,
    openapi_extra=query_parameters(ByNameQuery, IF_NONE_MATCH_PARAMETER, PREFER_PARAMETER),
)
async def get_configuration_by_name(*, auth: AuthenticationDep, request: Request) -> Response:
    """Fetch a configuration by its application's name and its own: the same bytes and ETag as by
    id. Names travel URL-encoded, so any name works; a 404 says which of the two is missing."""
    q = query.parse(ByNameQuery, request)
    return await watched(request, auth, kinds.BY_NAME, ByName(q.application, q.name))


refuse_other_methods(router, "/by-name", allowed={"GET"})


@router.get(
    "/{configuration_id}",
    response_model=Configuration,
    responses=READ_RESPONSES,
    openapi_extra=WATCHABLE,
)
async def get_configuration(
    *, configuration_id: ConfigurationId, auth: AuthenticationDep, request: Request
) -> Response:
    """Fetch one configuration; with If-None-Match naming its current ETag, a bodiless 304, and with
    `Prefer: wait=N` too, held until it changes."""
    return await watched(request, auth, kinds.CONFIGURATION, configuration_id)


@router.put(
    "/{configuration_id}",
    response_model=Configuration,
    responses=REPLACED_RESPONSES,
)
@counted_as("configuration", "replace")
async def replace_configuration(
    *,
    configuration_id: ConfigurationId,
    body: ConfigurationReplace,
    uow: UowDep,
    request: Request,
    if_match: IfMatchHeader = None,
) -> Response:
    """Replace a configuration's name, comments and config as its next version (history keeps the old one)."""
    await may_write_configuration(request, authenticated(request), configuration_id)
    configuration = await uow.configurations.replace(
        configuration_id,
        application_id=body.application_id,
        name=body.name,
        comments=body.comments,
        config=body.config,
        expected_etags=expected_etags(if_match),
    )
    return representation_response(configuration)


@router.delete(
    "/{configuration_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=DELETED_RESPONSES | problem_responses(404, 412, 422),
)
@counted_as("configuration", "delete")
async def delete_configuration(
    *,
    configuration_id: ConfigurationId,
    uow: UowDep,
    request: Request,
    if_match: IfMatchHeader = None,
) -> Response:
    """Delete a configuration; its revisions stay readable (GET .../revisions)."""
    await may_write_configuration(request, authenticated(request), configuration_id)
    await uow.configurations.delete(configuration_id, expected_etags=expected_etags(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{configuration_id}/revisions",
    response_model=list[Revision],
    responses=LIST_RESPONSES | problem_responses(404, 422),
    openapi_extra=query_parameters(RevisionsQuery),
)
async def list_revisions(*, configuration_id: ConfigurationId, auth: AuthenticationDep, request: Request) -> Response:
    """The configuration's revisions, newest first (kept after it is deleted); a Link header points
    to the next (older) page."""
    q = query.parse(RevisionsQuery, request)
    key = RevisionsPage(configuration_id, q.limit, q.before)
    page, _ = await read_as(auth.principal, reader(request), kinds.REVISIONS, key)
    return page_response(page, path=request.url.path, limit=q.limit, cursor_param="before")


@router.get("/{configuration_id}/revisions/{version}", response_model=Revision, responses=problem_responses(404, 422))
async def get_revision(
    *, configuration_id: ConfigurationId, version: Version, auth: AuthenticationDep, request: Request
) -> Response:
    """One revision (immutable; no ETag)."""
    key = RevisionOf(configuration_id, version)
    revision, _ = await read_as(auth.principal, reader(request), kinds.REVISION, key)
    return representation_response(revision)


@router.post(
    "/{configuration_id}/revisions/{version}/restore",
    response_model=Configuration,
    # It takes no body, but one sent anyway passes the body guards: 400, 413 and 415 too.
    responses={200: {"headers": documented_headers()}} | problem_responses(400, 404, 409, 412, 413, 415, 422),
)
@counted_as("configuration", "restore")
async def restore_revision(
    *,
    configuration_id: ConfigurationId,
    version: Version,
    uow: UowDep,
    request: Request,
    if_match: IfMatchHeader = None,
) -> Response:
    """Write a new version whose name, comments and config are those of the given revision."""
    await may_write_configuration(request, authenticated(request), configuration_id)
    configuration = await uow.configurations.restore(configuration_id, version, expected_etags=expected_etags(if_match))
    return representation_response(configuration)


async def may_read_configuration(request: Request, auth: Authentication, configuration_id: str) -> None:
    """404 for a configuration the token may not read (for a POST: read as its authentication was)."""
    if not auth.principal.read_all:
        await read_as(auth.principal, reader(request), kinds.CONFIGURATION, configuration_id, from_database=True)


async def may_write_configuration(request: Request, auth: Authentication, configuration_id: str) -> None:
    """Judge a write by the configuration's application (a proven read: access control only)."""
    principal = auth.principal
    if principal.write_all:
        return
    # From the database, as the write's authentication is: a sync under writes would be a marker.
    configuration, _ = await read_as(
        principal, reader(request), kinds.CONFIGURATION, configuration_id, from_database=True
    )
    may_write(principal, configuration.owner, absent=NotFound(NO_CONFIGURATION))
