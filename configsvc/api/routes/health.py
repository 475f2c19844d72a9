"""Liveness and readiness probes, outside /api/v1 and cheap enough to poll every second."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from configsvc.api.deps import reader, services
from configsvc.api.openapi.responses import problem_responses
from configsvc.errors import ServiceUnavailable
from configsvc.migrations import MigrationFile
from configsvc.views import kinds

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(Health):
    access_control: str = Field(description="`enforced`, or `off` (anyone who can reach the service may change it).")


class NotReady(ServiceUnavailable):
    """The database is reachable but not at the schema this code expects."""


@router.get("/healthz")
async def healthz() -> Health:
    """Liveness: the process is up and serving (does not touch the database)."""
    return Health(status="ok")


@router.get("/readyz", responses=problem_responses())
async def readyz(request: Request) -> Readiness:
    """Readiness: the database answers, every migration this code ships is applied, and the change
    notifications that keep reads from memory exact (and answer held requests) are being received."""
    expected: list[MigrationFile] = services(request).migrations
    read_side = reader(request)
    applied = await read_side.applied_migrations()
    missing = [file for file in expected if (file.version, file.checksum) not in applied]
    if missing:
        raise NotReady(f"{len(missing)} migration(s) not applied; run `make migrate`")
    listener = read_side.listener
    if listener is not None and not listener.live:
        raise NotReady("not receiving the database's change notifications yet; reconnecting")
    found = services(request)
    enforcement = await read_side.value(kinds.ACCESS_CONTROL, "")
    enforced = found.settings.auth_required or enforcement.enforced
    return Readiness(status="ready", access_control="enforced" if enforced else "off")
