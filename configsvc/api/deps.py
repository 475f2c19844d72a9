"""Request dependencies: one Unit of Work per write, committed before the response is sent."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError

from configsvc.unit_of_work import UnitOfWork
from configsvc.views.reader import Reader


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """Commit if the handler returned, roll back if anything raised (cancellation included).

    FastAPI 0.116 runs the code after `yield` before it sends the response, so a failed
    commit becomes an error response, never a 2xx (pinned: 0.118 changed this order).
    """
    async with UnitOfWork(request.app.state.database) as uow:
        yield uow
        await uow.commit()


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def reader(request: Request) -> Reader:
    """The app's read side. A plain call, not a dependency: FastAPI's solving of one costs every
    GET dozens of Python calls, and there is nothing to set up or tear down per request."""
    return request.app.state.reader


async def reject_repeated_query_params(request: Request) -> None:
    """`?limit=1&limit=500` is ambiguous (FastAPI would silently take the last): refuse it.

    Declared on the routes that take query parameters (the lists), where a repeat is ambiguous;
    elsewhere every query parameter is unknown and ignored. An app-wide dependency cost every
    request 68 Python calls (179 -> 111 on /healthz without it). `async` although it awaits
    nothing: FastAPI runs a plain `def` dependency in a thread pool, a hop for nothing.
    """
    keys = [key for key, _ in request.query_params.multi_items()]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        message = "Query parameter must not be repeated"
        raise RequestValidationError([{"loc": ("query", key), "msg": message, "type": "repeated"} for key in repeated])


# For routes that read query parameters: `dependencies=[REFUSE_REPEATED_QUERY_PARAMS]`.
REFUSE_REPEATED_QUERY_PARAMS = Depends(reject_repeated_query_params)
