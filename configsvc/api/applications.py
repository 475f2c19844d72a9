"""HTTP routes for applications."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response, status
from ulid import ULID

from configsvc.api.deps import UowDep
from configsvc.api.problems import problem_responses
from configsvc.fields import Name, UlidId
from configsvc.schemas import Application, ApplicationSummary, ApplicationWrite

router = APIRouter(prefix="/applications", tags=["applications"])

ApplicationId = Annotated[UlidId, Path(description="The application's ULID (either case).")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 409, 413, 415, 422),
)
async def create_application(
    *, body: ApplicationWrite, uow: UowDep, request: Request, response: Response
) -> Application:
    """Create an application; its URL is in the Location header."""
    application = await uow.applications.create(id=str(ULID()), name=body.name, comments=body.comments)
    response.headers["Location"] = str(request.url_for("get_application", application_id=application.id).path)
    return application


@router.get("/{application_id}", responses=problem_responses(404, 422))
async def get_application(*, application_id: ApplicationId, uow: UowDep) -> Application:
    """Fetch one application with the ids of its configurations."""
    return await uow.applications.get(application_id)


@router.put("/{application_id}", responses=problem_responses(400, 404, 409, 413, 415, 422))
async def replace_application(*, application_id: ApplicationId, body: ApplicationWrite, uow: UowDep) -> Application:
    """Replace an application's name and comments (an omitted comments field becomes null)."""
    return await uow.applications.replace(application_id, name=body.name, comments=body.comments)


@router.get("", responses=problem_responses(422))
async def list_applications(
    *,
    uow: UowDep,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
    after: Annotated[UlidId | None, Query(description="Return applications whose id sorts after this one.")] = None,
    name: Annotated[Name | None, Query(description="Only the application with exactly this name.")] = None,
) -> list[ApplicationSummary]:
    """List applications in id (creation) order; a Link header points to the next page."""
    page = await uow.applications.list(limit=limit + 1, after=after, name=name)
    if len(page) > limit:
        page = page[:limit]
        # No name here: names are unique, so a name-filtered list never has a second page.
        query = {"limit": limit, "after": page[-1].id}
        response.headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return page
