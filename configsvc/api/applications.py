"""HTTP routes for applications."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from ulid import ULID

from configsvc.api.conditions import IfMatchHeader, expected_versions
from configsvc.api.deps import REFUSE_REPEATED_QUERY_PARAMS, UowDep, reader
from configsvc.api.idempotency import IdempotencyKey, idempotent
from configsvc.api.problems import problem_responses
from configsvc.api.responses import (
    CREATED_RESPONSES,
    LIST_RESPONSES,
    REPLACED_RESPONSES,
    documented_headers,
    page_response,
    representation_response,
)
from configsvc.fields import Name, UlidId
from configsvc.schemas import Application, ApplicationSummary, ApplicationWrite

router = APIRouter(prefix="/applications", tags=["applications"])

ApplicationId = Annotated[UlidId, Path(description="The application's ULID (either case).")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Application,
    responses=CREATED_RESPONSES,
)
async def create_application(
    *, body: ApplicationWrite, uow: UowDep, request: Request, idempotency_key: IdempotencyKey
) -> Response:
    """Create an application; its URL is in the Location header. Send an Idempotency-Key to retry safely."""

    async def create() -> Response:
        id = str(ULID())
        application = await uow.applications.create(id=id, name=body.name, comments=body.comments)
        location = request.url_for("get_application", application_id=id).path
        return representation_response(application, status_code=status.HTTP_201_CREATED, location=location)

    return await idempotent(uow, request, idempotency_key, body, create)


@router.get(
    "/{application_id}",
    response_model=Application,
    responses={200: {"headers": documented_headers()}} | problem_responses(404, 422),
)
async def get_application(*, application_id: ApplicationId, request: Request) -> Response:
    """Fetch one application with the ids of its configurations."""
    return representation_response(await reader(request).application(application_id))


@router.put(
    "/{application_id}",
    response_model=Application,
    responses=REPLACED_RESPONSES,
)
async def replace_application(
    *, application_id: ApplicationId, body: ApplicationWrite, uow: UowDep, if_match: IfMatchHeader = None
) -> Response:
    """Replace an application's name and comments (an omitted comments field becomes null)."""
    application = await uow.applications.replace(
        application_id, name=body.name, comments=body.comments, expected_versions=expected_versions(if_match)
    )
    return representation_response(application)


@router.get(
    "",
    response_model=list[ApplicationSummary],
    responses=LIST_RESPONSES | problem_responses(422),
    dependencies=[REFUSE_REPEATED_QUERY_PARAMS],
)
async def list_applications(
    *,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
    after: Annotated[UlidId | None, Query(description="Return applications whose id sorts after this one.")] = None,
    name: Annotated[Name | None, Query(description="Only the application with exactly this name.")] = None,
) -> Response:
    """List applications in id (creation) order; a Link header points to the next page."""
    page = await reader(request).applications(limit=limit, after=after, name=name)
    return page_response(page, path=request.url.path, limit=limit, cursor_param="after")
