"""HTTP routes for configurations."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from ulid import ULID

from configsvc.api.deps import UowDep
from configsvc.api.problems import problem_responses
from configsvc.fields import UlidId
from configsvc.schemas import Configuration, ConfigurationCreate, ConfigurationReplace

router = APIRouter(prefix="/configurations", tags=["configurations"])

ConfigurationId = Annotated[UlidId, Path(description="The configuration's ULID (either case).")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 409, 413, 415, 422),
)
async def create_configuration(
    *, body: ConfigurationCreate, uow: UowDep, request: Request, response: Response
) -> Configuration:
    """Create a configuration in an application; its URL is in the Location header."""
    configuration = await uow.configurations.create(
        id=str(ULID()),
        application_id=body.application_id,
        name=body.name,
        comments=body.comments,
        config=body.config,
    )
    response.headers["Location"] = str(request.url_for("get_configuration", configuration_id=configuration.id).path)
    return configuration


@router.get("/{configuration_id}", responses=problem_responses(404, 422))
async def get_configuration(*, configuration_id: ConfigurationId, uow: UowDep) -> Configuration:
    """Fetch one configuration."""
    return await uow.configurations.get(configuration_id)


@router.put("/{configuration_id}", responses=problem_responses(400, 404, 409, 413, 415, 422))
async def replace_configuration(
    *, configuration_id: ConfigurationId, body: ConfigurationReplace, uow: UowDep
) -> Configuration:
    """Replace a configuration's name, comments and config; its application cannot change."""
    return await uow.configurations.replace(
        configuration_id,
        application_id=body.application_id,
        name=body.name,
        comments=body.comments,
        config=body.config,
    )
