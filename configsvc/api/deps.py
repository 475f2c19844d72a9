"""Request dependencies: one Unit of Work per request, committed before the response is sent."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from configsvc.unit_of_work import UnitOfWork


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """Commit if the handler returned, roll back if anything raised (cancellation included).

    FastAPI 0.116 runs the code after `yield` before it sends the response, so a failed
    commit becomes an error response, never a 2xx (pinned: 0.118 changed this order).
    """
    async with UnitOfWork(request.app.state.database) as uow:
        yield uow
        await uow.commit()


async def get_read_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """For GET routes: reads in autocommit, so a request costs one round trip, not three."""
    async with UnitOfWork(request.app.state.database, read_only=True) as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
