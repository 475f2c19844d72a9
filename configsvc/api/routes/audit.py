"""GET /audit: who changed what, newest first."""

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field

from configsvc.api.deps import AuthenticationDep, services
from configsvc.api.http import query
from configsvc.api.http.query import QueryModel
from configsvc.api.http.responses import page_response
from configsvc.api.openapi.parameters import query_parameters
from configsvc.api.openapi.responses import LIST_RESPONSES, problem_responses
from configsvc.db.session import Session
from configsvc.fields import UlidPath
from configsvc.schemas import AuditEvent
from configsvc.views import audit

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditQuery(QueryModel):
    application: Annotated[UlidPath | None, Field(description="Only the events of this application.")] = None
    before: Annotated[UlidPath | None, Field(description="Only events older than this one (an event id).")] = None
    limit: Annotated[int, Field(ge=1, le=1000, description="Page size.")] = 100


@router.get(
    "",
    response_model=list[AuditEvent],
    responses=LIST_RESPONSES | problem_responses(401, 422),
    openapi_extra=query_parameters(AuditQuery),
)
async def list_audit_events(*, auth: AuthenticationDep, request: Request) -> Response:
    """Every write, newest first, with who made it (`actor`) and in which request; a Link header points
    to the next (older) page. An admin token sees every event; another token, those of the
    applications it may read."""
    q = query.parse(AuditQuery, request)
    async with Session(services(request).database, autocommit=True) as session:
        page = await audit.events(
            session, limit=q.limit, before=q.before, application=q.application, reader=auth.principal
        )
    return page_response(page, path=request.url.path, limit=q.limit, cursor_param="before")
