import pytest
from ulid import ULID

from configsvc.errors import NotFound
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configuration_schemas import ConfigurationSchemasRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.validation.validators import Validators
from configsvc.views import schemas as view
from test.shapes import read_one

pytestmark = pytest.mark.anyio

SCHEMA = {"type": "object", "properties": {"ünï": {"const": "ç"}, "n": {"maximum": 12345678901234567890}}}


@pytest.fixture
async def app_id(session):
    app_id = str(ULID())
    await ApplicationsRepository(session).create(id=app_id, name="a", comments=None)
    return app_id


@pytest.fixture
async def config_id(session, app_id):
    id = str(ULID())
    await ConfigurationsRepository(session).create(id=id, application_id=app_id, name="c", comments=None, config={})
    return id


async def test_a_schema_reads_as_the_same_bytes_and_etag_as_its_write_returned(session, config_id, app_id):
    schemas = ConfigurationSchemasRepository(session, Validators())
    written, _ = await schemas.put(config_id, SCHEMA, schemas.compile(SCHEMA, loc=[]), if_match=None)

    read = await read_one(view.schemas, session, config_id)

    assert (read.body, read.etag) == (written.body, written.etag) == (read.body, '"1"')
    assert read.owner == app_id  # judged by its application's scopes
    assert read.json() == SCHEMA


async def test_a_404_says_whether_the_configuration_or_its_schema_is_missing(session, config_id, app_id):
    unknown = str(ULID())
    answers = await view.schemas(session, [config_id, unknown])

    with pytest.raises(NotFound, match="this configuration has no schema"):
        answers[config_id].result()
    with pytest.raises(NotFound, match="no such configuration"):
        answers[unknown].result()
    # The application first: only a token that may read it learns which of the two is missing.
    assert answers[config_id].tags == (app_id, f"{config_id}/schema")
