"""Schema writes and the content guard, against PostgreSQL: what the trigger keeps, and the two
interleavings of a config write and a schema write, forced with a transaction of the test's own."""

import asyncio
import contextlib
import hashlib
import json

import psycopg2
import pytest
from psycopg2.extras import Json
from ulid import ULID

from configsvc.errors import InvalidContent, InvalidSchema, NotFound, PreconditionFailed
from configsvc.unit_of_work import UnitOfWork
from configsvc.validation.validators import Validators
from test.sql import sql

pytestmark = pytest.mark.anyio

SCHEMA = {"properties": {"port": {"type": "integer"}}}
GOOD = {"port": 5432}
BAD = {"port": "5432"}


@pytest.fixture
async def configuration_id(database):
    async with UnitOfWork(database) as uow:
        app_id = str(ULID())
        await uow.applications.create(id=app_id, name="billing", comments=None)
        id = str(ULID())
        await uow.configurations.create(id=id, application_id=app_id, name="p", comments=None, config=GOOD)
        await uow.commit()
    return id


async def put_schema(database, id, schema=SCHEMA, validators=None, if_match=None):
    async with UnitOfWork(database, validators=validators) as uow:
        compiled = uow.schemas.compile(schema, loc=["body"])
        result = await uow.schemas.put(id, schema, compiled, if_match=if_match)
        await uow.commit()
    return result


async def replace(database, id, config, validators=None):
    async with UnitOfWork(database, validators=validators) as uow:
        result = await uow.configurations.replace(id, application_id=None, name="p", comments=None, config=config)
        await uow.commit()
    return result


def stored(database_url, id):
    return sql(
        database_url,
        "SELECT s.schema, s.digest, s.version, c.config FROM configurations c "
        "LEFT JOIN configuration_schemas s ON s.configuration_id = c.id WHERE c.id = %s",
        (id,),
    )[0]


async def test_the_digest_is_the_content_s_and_every_change_counts_a_version_even_by_hand(
    database, database_url, configuration_id
):
    (representation, created) = await put_schema(database, configuration_id)
    schema, digest, version, _ = stored(database_url, configuration_id)
    sql(database_url, "UPDATE configuration_schemas SET updated_at = now()")  # by hand, content unchanged

    assert created
    assert representation.etag == '"1"'
    assert json.loads(representation.body) == schema == SCHEMA
    assert digest == hashlib.sha256(representation.body).hexdigest()  # jsonb's text of it
    assert stored(database_url, configuration_id)[1:3] == (digest, version + 1)


async def test_removing_keeps_counting_and_a_second_remove_is_404(database, database_url, configuration_id):
    await put_schema(database, configuration_id)
    async with UnitOfWork(database) as uow:
        with pytest.raises(PreconditionFailed):
            await uow.schemas.remove(configuration_id, if_match=['"9"'])
        await uow.schemas.remove(configuration_id, if_match=['"1"'])
        await uow.commit()
    async with UnitOfWork(database) as uow:
        with pytest.raises(NotFound):
            await uow.schemas.remove(configuration_id, if_match=None)

    assert stored(database_url, configuration_id)[:3] == (None, None, 2)


async def test_a_schema_the_current_config_violates_changes_nothing(database, database_url, configuration_id):
    with pytest.raises(InvalidContent) as refused:
        await put_schema(database, configuration_id, {"properties": {"port": {"maximum": 1024}}})

    assert refused.value.errors[0]["loc"] == ["config", "port"]
    assert stored(database_url, configuration_id)[:3] == (None, None, None)


async def test_an_invalid_schema_is_refused_before_any_connection_is_taken(database, configuration_id):
    async with UnitOfWork(database) as uow:
        with pytest.raises(InvalidSchema):
            uow.schemas.compile({"type": 5}, loc=["body"])
        assert not uow.session.holds_slot


async def test_a_config_write_waiting_for_a_schema_writer_checks_against_the_schema_it_committed(
    database, database_url, configuration_id
):
    """The guard reads the schema after taking the row lock: what the write's own snapshot saw
    (no schema) is not what it is checked against."""
    schema_writer = psycopg2.connect(database_url)
    try:
        with schema_writer.cursor() as cursor:
            cursor.execute("SELECT 1 FROM configurations WHERE id = %s FOR NO KEY UPDATE", (configuration_id,))
            write = asyncio.ensure_future(replace(database, configuration_id, BAD))
            await asyncio.sleep(0.3)
            assert not write.done()  # waiting for the row
            cursor.execute(
                "INSERT INTO configuration_schemas (configuration_id, schema) VALUES (%s, %s)",
                (configuration_id, Json(SCHEMA)),
            )
        schema_writer.commit()
    finally:
        schema_writer.close()

    with pytest.raises(InvalidContent):
        await write
    assert stored(database_url, configuration_id)[3] == GOOD


async def test_a_schema_write_waiting_for_a_config_writer_checks_the_config_it_committed(
    database, database_url, configuration_id
):
    config_writer = psycopg2.connect(database_url)
    try:
        with config_writer.cursor() as cursor:
            cursor.execute("UPDATE configurations SET config = %s WHERE id = %s", (Json(BAD), configuration_id))
            write = asyncio.ensure_future(put_schema(database, configuration_id))
            await asyncio.sleep(0.3)
            assert not write.done()
        config_writer.commit()
    finally:
        config_writer.close()

    with pytest.raises(InvalidContent):
        await write
    assert stored(database_url, configuration_id)[0] is None


async def test_racing_config_and_schema_writes_never_store_a_config_its_schema_refuses(
    database, database_url, configuration_id
):
    validators = [Validators(), Validators()]  # two processes' worth of guesses
    strict, lenient = SCHEMA, {}

    async def attempt(write):
        with contextlib.suppress(InvalidContent):
            await write

    for round in range(40):
        await asyncio.gather(
            attempt(put_schema(database, configuration_id, strict if round % 2 else lenient, validators[0])),
            attempt(replace(database, configuration_id, BAD if round % 3 else GOOD, validators[round % 2])),
            attempt(replace(database, configuration_id, GOOD if round % 3 else BAD, validators[1 - round % 2])),
        )
        schema, _, _, config = stored(database_url, configuration_id)
        assert schema != strict or config == GOOD, round
