"""Request dependencies: one Unit of Work per write, committed before the response is sent; and the
app's services, for a request or a bare ASGI scope."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from configsvc.api.http.auth import AUTHORIZATION, Authentication, authenticate
from configsvc.repositories.audit import Author
from configsvc.services import Services
from configsvc.unit_of_work import UnitOfWork
from configsvc.views.reader import Reader

# Reads: authenticated from memory when a sync proves it current. Writes: from the database (a sync
# under writes finds commits and becomes a marker transaction, which costs more than a batched read).
READ_METHODS = frozenset({"GET", "HEAD"})


async def authentication(request: Request) -> Authentication:
    """Who the request is (401 if it must be someone and is not), found once per request (kept in
    its state: a write's Unit of Work finds it first, and its route reads it with `authenticated`)."""
    state = request.scope.setdefault("state", {})
    found = state.get("authentication")
    if found is None:
        app = services(request)
        found, _ = await authenticate(
            app.reader,
            required=app.settings.auth_required,
            authorization=request.headers.get(AUTHORIZATION),
            from_database=request.method not in READ_METHODS,
        )
        state["authentication"] = found
    return found


def authenticated(request: Request) -> Authentication:
    """The authentication a route's Unit of Work found. A plain call, not a dependency: FastAPI's
    solving of one costs a write tens of microseconds, and the Unit of Work has it already."""
    return request.scope["state"]["authentication"]


AuthenticationDep = Annotated[Authentication, Depends(authentication)]


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """Authenticate first (401 before anything else is looked at); then commit if the handler
    returned, roll back if anything raised (cancellation included). Every write it makes records who
    made it, and in which request.

    FastAPI 0.116 runs the code after `yield` before it sends the response, so a failed
    commit becomes an error response, never a 2xx (pinned: 0.118 changed this order).
    """
    principal = (await authentication(request)).principal
    author = Author(principal.token_id, principal.name, request.scope.get("state", {}).get("request_id"))
    app = services(request)
    async with UnitOfWork(app.database, author, validators=app.validators) as uow:
        yield uow
        await uow.commit()


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def reader(request: Request) -> Reader:
    """The app's read side. A plain call, not a dependency: FastAPI's solving of one costs every
    GET dozens of Python calls, and there is nothing to set up or tear down per request."""
    return services(request).reader


def services(request: Request) -> Services:
    return request.app.state.services


def services_of(scope: Scope) -> Services:
    """The services of the app serving `scope` (middleware, and the fast path, have no Request)."""
    return scope["app"].state.services
