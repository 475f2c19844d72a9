"""HTTP routes for applications, and for an application's configurations as one collection."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import Field
from ulid import ULID

from configsvc.api.deps import AuthenticationDep, UowDep, authenticated, reader
from configsvc.api.http import query
from configsvc.api.http.auth import may_write
from configsvc.api.http.conditions import IfMatchHeader, expected_etags
from configsvc.api.http.idempotency import IdempotencyKey, idempotent
from configsvc.api.http.query import QueryModel
from configsvc.api.http.responses import page_response, representation_response
from configsvc.api.http.watching import watched
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
from configsvc.errors import Forbidden, NotFound
from configsvc.fields import Name, UlidPath
from configsvc.schemas import Application, ApplicationSummary, ApplicationWrite, Configuration
from configsvc.views import kinds
from configsvc.views.applications import NO_APPLICATION
from configsvc.views.keys import ApplicationsPage, ConfigurationsPage

router = APIRouter(prefix="/applications", tags=["applications"])

ApplicationId = Annotated[UlidPath, Path(description="The application's ULID (either case).")]
Limit = Annotated[int, Field(ge=1, le=1000, description="Page size.")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Application,
    responses=CREATED_RESPONSES,
)
@counted_as("application", "create")
async def create_application(
    *, body: ApplicationWrite, uow: UowDep, request: Request, idempotency_key: IdempotencyKey
) -> Response:
    """Create an application; its URL is in the Location header. Send an Idempotency-Key to retry safely."""
    if not authenticated(request).principal.write_all:
        raise Forbidden("creating applications takes the write:* scope")

    async def create() -> Response:
        id = str(ULID())
        application = await uow.applications.create(id=id, name=body.name, comments=body.comments)
        location = request.url_for("get_application", application_id=id).path
        return representation_response(application, status_code=status.HTTP_201_CREATED, location=location)

    return await idempotent(uow, request, idempotency_key, body, create)


@router.get(
    "/{application_id}",
    response_model=Application,
    responses=WATCHED_RESPONSES | problem_responses(404, 422),
    openapi_extra=WATCHABLE,
)
async def get_application(*, application_id: ApplicationId, auth: AuthenticationDep, request: Request) -> Response:
    """Fetch one application with the ids of its configurations; with If-None-Match naming its
    current ETag, a bodiless 304 (the ETag covers configuration_ids too), and with `Prefer: wait=N`
    too, held until it changes."""
    return await watched(request, auth, kinds.APPLICATION, application_id)


@router.put(
    "/{application_id}",
    response_model=Application,
    responses=REPLACED_RESPONSES,
)
@counted_as("application", "replace")
async def replace_application(
    *,
    application_id: ApplicationId,
    body: ApplicationWrite,
    uow: UowDep,
    request: Request,
    if_match: IfMatchHeader = None,
) -> Response:
    """Replace an application's name and comments (an omitted comments field becomes null)."""
    may_write(authenticated(request).principal, application_id, absent=NotFound(NO_APPLICATION))
    application = await uow.applications.replace(
        application_id, name=body.name, comments=body.comments, expected_etags=expected_etags(if_match)
    )
    return representation_response(application)


@router.delete(
    "/{application_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=DELETED_RESPONSES | problem_responses(404, 409, 412, 422),
)
@counted_as("application", "delete")
async def delete_application(
    *, application_id: ApplicationId, uow: UowDep, request: Request, if_match: IfMatchHeader = None
) -> Response:
    """Delete an application that has no configurations (409, saying how many, while it has some)."""
    may_write(authenticated(request).principal, application_id, absent=NotFound(NO_APPLICATION))
    await uow.applications.delete(application_id, expected_etags=expected_etags(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class ListQuery(QueryModel):
    limit: Limit = 100
    after: Annotated[UlidPath | None, Field(description="Return applications whose id sorts after this one.")] = None
    name: Annotated[Name | None, Field(description="Only the application with exactly this name.")] = None


class ConfigurationsQuery(QueryModel):
    limit: Limit = 100
    after: Annotated[UlidPath | None, Field(description="Return configurations whose id sorts after this one.")] = None


@router.get(
    "",
    response_model=list[ApplicationSummary],
    responses=LIST_RESPONSES | problem_responses(422),
    openapi_extra=query_parameters(ListQuery),
)
async def list_applications(*, auth: AuthenticationDep, request: Request) -> Response:
    """List applications in id (creation) order; a Link header points to the next page. A token
    scoped to some applications sees only those."""
    q = query.parse(ListQuery, request)
    key = ApplicationsPage(q.limit, q.after, q.name, auth.principal.readable_applications())
    page = await reader(request).value(kinds.APPLICATIONS, key)
    return page_response(page, path=request.url.path, limit=q.limit, cursor_param="after")


@router.get(
    "/{application_id}/configurations",
    response_model=list[Configuration],
    responses={200: {"headers": WATCHED_RESPONSES[200]["headers"] | LIST_RESPONSES[200]["headers"]}}
    | {304: WATCHED_RESPONSES[304]}
    | problem_responses(404, 422),
    openapi_extra=query_parameters(ConfigurationsQuery, IF_NONE_MATCH_PARAMETER, PREFER_PARAMETER),
)
async def list_application_configurations(
    *, application_id: ApplicationId, auth: AuthenticationDep, request: Request
) -> Response:
    """The application's configurations, whole, in id (creation) order; a Link header points to the
    next page. The ETag is the application's seq, so If-None-Match answers 304 while nothing in it changed."""
    q = query.parse(ConfigurationsQuery, request)
    key = ConfigurationsPage(application_id, q.limit, q.after)
    return await watched(
        request, auth, kinds.CONFIGURATIONS_OF, key, path=request.url.path, limit=q.limit, cursor_param="after"
    )
