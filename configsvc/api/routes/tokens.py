"""Tokens (admin): create one (its secret is shown in that response only), list, read, revoke; and
the presented token itself."""

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import Field
from ulid import ULID

from configsvc.access.principal import InvalidScope, Principal
from configsvc.access.secrets import digest, new_secret
from configsvc.api.deps import AuthenticationDep, UowDep, authenticated, services
from configsvc.api.http import query
from configsvc.api.http.auth import AUTHORIZATION, bearer_digest, valid
from configsvc.api.http.methods import refuse_other_methods
from configsvc.api.http.query import QueryModel
from configsvc.api.http.responses import JSON, page_response, representation_response
from configsvc.api.openapi.parameters import query_parameters
from configsvc.api.openapi.responses import DELETED_RESPONSES, LIST_RESPONSES, problem_responses
from configsvc.api.routes.writes import counted_as
from configsvc.db.session import Session
from configsvc.errors import Forbidden, InvalidValue, Unauthenticated
from configsvc.fields import UlidPath
from configsvc.repositories.tokens import TokensRepository
from configsvc.schemas import CurrentToken, Token, TokenCreate, TokenCreated
from configsvc.views import kinds

router = APIRouter(prefix="/tokens", tags=["tokens"])

TokenId = Annotated[UlidPath, Path(description="The token's ULID (either case).")]
ADMIN_RESPONSES = problem_responses(401, 403)


def require_admin(principal: Principal) -> None:
    if not principal.admin:
        raise Forbidden("this takes the admin scope")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=ADMIN_RESPONSES | problem_responses(400, 409, 413, 415, 422),
)
@counted_as("token", "create")
async def create_token(*, body: TokenCreate, uow: UowDep, request: Request) -> Response:
    """Create a token (admin). The response carries its secret, `token`, once: only its SHA-256 is
    kept. The first token turns access control on for good (the operator's CLI can turn it off)."""
    require_admin(authenticated(request).principal)
    secret, id = new_secret(), str(ULID())
    try:
        created = await uow.tokens.create(
            id=id, name=body.name, digest=digest(secret), scopes=body.scopes, expires_at=body.expires_at
        )
    except InvalidScope as error:
        raise InvalidValue(str(error), field="scopes") from None
    body_with_secret = json.loads(created.body) | {"token": secret}
    location = request.url_for("get_token", token_id=id).path
    return Response(
        json.dumps(body_with_secret, separators=(",", ":")).encode(),
        status_code=status.HTTP_201_CREATED,
        headers={"Location": location, "Cache-Control": "no-store"},
        media_type=JSON,
    )


class TokensQuery(QueryModel):
    limit: Annotated[int, Field(ge=1, le=1000, description="Page size.")] = 100
    after: Annotated[UlidPath | None, Field(description="Return tokens whose id sorts after this one.")] = None


@router.get(
    "",
    response_model=list[Token],
    responses=LIST_RESPONSES | ADMIN_RESPONSES | problem_responses(422),
    openapi_extra=query_parameters(TokensQuery),
)
async def list_tokens(*, auth: AuthenticationDep, request: Request) -> Response:
    """List tokens (admin), in id order; a Link header points to the next page. Never their secrets."""
    require_admin(auth.principal)
    q = query.parse(TokensQuery, request)
    async with Session(services(request).database, autocommit=True) as session:
        page = await TokensRepository(session).page(limit=q.limit, after=q.after)
    return page_response(page, path=request.url.path, limit=q.limit, cursor_param="after")


# Declared before /{token_id}, which would otherwise take "current" for an id.
@router.get("/current", response_model=CurrentToken, responses=problem_responses(401))
async def get_current_token(*, request: Request) -> CurrentToken:
    """The token this request presents: its id, name and scopes (any valid token)."""
    token = bearer_digest(request.headers.get(AUTHORIZATION))
    if token is None:
        raise Unauthenticated("no token was sent: Authorization: Bearer <token>", token_sent=False)
    (answer,) = await services(request).reader.read_together([(kinds.TOKEN, token)])
    principal = valid(answer)
    assert principal.token_id is not None
    assert principal.name is not None
    return CurrentToken(id=principal.token_id, name=principal.name, scopes=list(principal.scopes))


refuse_other_methods(router, "/current", allowed={"GET"})


@router.get("/{token_id}", response_model=Token, responses=ADMIN_RESPONSES | problem_responses(404, 422))
async def get_token(*, token_id: TokenId, auth: AuthenticationDep, request: Request) -> Response:
    """One token (admin), without its secret."""
    require_admin(auth.principal)
    async with Session(services(request).database, autocommit=True) as session:
        return representation_response(await TokensRepository(session).get(token_id))


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=DELETED_RESPONSES | ADMIN_RESPONSES | problem_responses(404, 422),
)
@counted_as("token", "revoke")
async def revoke_token(*, token_id: TokenId, uow: UowDep, request: Request) -> Response:
    """Revoke a token (admin): once this answers 204, no process of any instance serves a request
    that arrives with it, and requests held with it are answered 401."""
    require_admin(authenticated(request).principal)
    await uow.tokens.revoke(token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
