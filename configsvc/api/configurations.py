"""HTTP routes for configurations and their revision history."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from ulid import ULID

from configsvc.api.conditions import IF_NONE_MATCH, IF_NONE_MATCH_OPENAPI, IfMatchHeader, expected_versions, none_match
from configsvc.api.deps import REFUSE_REPEATED_QUERY_PARAMS, UowDep, reader
from configsvc.api.idempotency import IdempotencyKey, idempotent
from configsvc.api.problems import problem_responses
from configsvc.api.responses import (
    CREATED_RESPONSES,
    LIST_RESPONSES,
    NOT_MODIFIED,
    REPLACED_RESPONSES,
    documented_headers,
    page_response,
    representation_response,
)
from configsvc.fields import UlidId
from configsvc.schemas import Configuration, ConfigurationCreate, ConfigurationReplace, Revision

router = APIRouter(prefix="/configurations", tags=["configurations"])

ConfigurationId = Annotated[UlidId, Path(description="The configuration's ULID (either case).")]
Version = Annotated[int, Path(ge=1, le=2_147_483_647, description="A version of the configuration.")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Configuration,
    responses=CREATED_RESPONSES,
)
async def create_configuration(
    *, body: ConfigurationCreate, uow: UowDep, request: Request, idempotency_key: IdempotencyKey
) -> Response:
    """Create a configuration (version 1) in an application; its URL is in the Location header."""

    async def create() -> Response:
        id = str(ULID())
        configuration = await uow.configurations.create(
            id=id,
            application_id=body.application_id,
            name=body.name,
            comments=body.comments,
            config=body.config,
        )
        location = request.url_for("get_configuration", configuration_id=id).path
        return representation_response(configuration, status_code=status.HTTP_201_CREATED, location=location)

    return await idempotent(uow, request, idempotency_key, body, create)


@router.get(
    "/{configuration_id}",
    response_model=Configuration,
    responses={200: {"headers": documented_headers()}} | NOT_MODIFIED | problem_responses(404, 422),
    openapi_extra=IF_NONE_MATCH_OPENAPI,
)
async def get_configuration(*, configuration_id: ConfigurationId, request: Request) -> Response:
    """Fetch one configuration; with If-None-Match naming its current ETag, a bodiless 304."""
    configuration = await reader(request).configuration(configuration_id)
    if none_match(request.headers.get(IF_NONE_MATCH), configuration.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": configuration.etag})
    return representation_response(configuration)


@router.put(
    "/{configuration_id}",
    response_model=Configuration,
    responses=REPLACED_RESPONSES,
)
async def replace_configuration(
    *, configuration_id: ConfigurationId, body: ConfigurationReplace, uow: UowDep, if_match: IfMatchHeader = None
) -> Response:
    """Replace a configuration's name, comments and config as its next version (history keeps the old one)."""
    configuration = await uow.configurations.replace(
        configuration_id,
        application_id=body.application_id,
        name=body.name,
        comments=body.comments,
        config=body.config,
        expected_versions=expected_versions(if_match),
    )
    return representation_response(configuration)


@router.get(
    "/{configuration_id}/revisions",
    response_model=list[Revision],
    responses=LIST_RESPONSES | problem_responses(404, 422),
    dependencies=[REFUSE_REPEATED_QUERY_PARAMS],
)
async def list_revisions(
    *,
    configuration_id: ConfigurationId,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
    before: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Only versions below this one.")] = None,
) -> Response:
    """The configuration's revisions, newest first; a Link header points to the next (older) page."""
    page = await reader(request).revisions(configuration_id, limit=limit, before=before)
    return page_response(page, path=request.url.path, limit=limit, cursor_param="before")


@router.get("/{configuration_id}/revisions/{version}", response_model=Revision, responses=problem_responses(404, 422))
async def get_revision(*, configuration_id: ConfigurationId, version: Version, request: Request) -> Response:
    """One revision (immutable; no ETag)."""
    return representation_response(await reader(request).revision(configuration_id, version))


@router.post(
    "/{configuration_id}/revisions/{version}/restore",
    response_model=Configuration,
    # It takes no body, but one sent anyway passes the body guards: 400, 413 and 415 too.
    responses={200: {"headers": documented_headers()}} | problem_responses(400, 404, 409, 412, 413, 415, 422),
)
async def restore_revision(
    *, configuration_id: ConfigurationId, version: Version, uow: UowDep, if_match: IfMatchHeader = None
) -> Response:
    """Write a new version whose name, comments and config are those of the given revision."""
    configuration = await uow.configurations.restore(
        configuration_id, version, expected_versions=expected_versions(if_match)
    )
    return representation_response(configuration)
