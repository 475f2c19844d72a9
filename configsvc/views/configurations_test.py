import psycopg2.sql
import pytest
from ulid import ULID

from configsvc.errors import NotFound
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.configurations import ConfigurationsRepository
from configsvc.schemas import Configuration, Revision
from configsvc.views import configurations as view
from test.shapes import fields

pytestmark = pytest.mark.anyio

CONFIG = {"nested": {"list": [1, 2.5, None, True, "x"], "big": 12345678901234567890}, "empty": {}, "ünï": "ç"}


async def read(view_function, session, key):
    return (await view_function(session, [key]))[key].result()


async def new_application(session, name="a") -> str:
    return fields(await ApplicationsRepository(session).create(id=str(ULID()), name=name, comments=None)).id


@pytest.fixture
async def config_id(session):
    app_id = await new_application(session)
    configurations = ConfigurationsRepository(session)
    created = await configurations.create(
        id=str(ULID()), application_id=app_id, name="c", comments=None, config={"v": 1}
    )
    config_id = created.json()["id"]
    for v in (2, 3, 4):
        await configurations.replace(config_id, application_id=None, name="c", comments=f"v{v}", config={"v": v})
    return config_id


async def test_a_configuration_is_the_same_bytes_and_etag_as_its_write_returned(session):
    app_id = await new_application(session)
    created = await ConfigurationsRepository(session).create(
        id=str(ULID()), application_id=app_id, name="prod ünïcode", comments=None, config=CONFIG
    )

    fetched = await read(view.configurations, session, created.json()["id"])

    assert fetched == created  # same body, same ETag
    assert fetched.etag == '"1"'
    assert list(fetched.json()) == list(Configuration.model_fields)
    assert fetched.json()["config"] == CONFIG
    with pytest.raises(NotFound):
        await read(view.configurations, session, str(ULID()))


async def test_by_name_is_the_same_representation_and_says_which_name_is_missing(session):
    app_id = await new_application(session, "pay ments/€?")
    created = await ConfigurationsRepository(session).create(
        id=str(ULID()), application_id=app_id, name="prod / eu", comments=None, config=CONFIG
    )
    keys = [("pay ments/€?", "prod / eu"), ("pay ments/€?", "nope"), ("nobody", "prod / eu")]

    outcomes = await view.by_names(session, keys)

    assert outcomes[keys[0]].value == created
    assert outcomes[keys[0]].tags == (f"{app_id}/row", created.json()["id"])  # not the seq: see reader_test
    with pytest.raises(NotFound, match="the application has no configuration with this name"):
        outcomes[keys[1]].result()
    with pytest.raises(NotFound, match="no application has this name"):
        outcomes[keys[2]].result()


async def test_revisions_are_listed_newest_first_and_paged_by_version(session, config_id):
    first = await read(view.revisions, session, (config_id, 2, None))
    rest = await read(view.revisions, session, (config_id, 10, int(first.next_cursor)))

    assert [r["version"] for r in first.json()] == [4, 3]
    assert first.next_cursor == "3"
    assert [r["version"] for r in rest.json()] == [2, 1]
    assert [r["config"] for r in rest.json()] == [{"v": 2}, {"v": 1}]
    assert rest.next_cursor is None
    assert [list(r) for r in rest.json()] == [list(Revision.model_fields)] * 2


async def test_one_revision_and_the_missing_ones(session, config_id):
    revision = await read(view.revision, session, (config_id, 3))

    assert revision.json()["comments"] == "v3"
    assert revision.etag is None  # revisions are immutable and carry no ETag
    with pytest.raises(NotFound):
        await read(view.revision, session, (config_id, 5))
    with pytest.raises(NotFound):
        await read(view.revisions, session, (str(ULID()), 10, None))
    assert (await read(view.revisions, session, (config_id, 10, 1))).json() == []


async def test_a_deleted_configuration_keeps_its_history(session, config_id):
    await ConfigurationsRepository(session).delete(config_id)

    with pytest.raises(NotFound):
        await read(view.configurations, session, config_id)
    assert [r["version"] for r in (await read(view.revisions, session, (config_id, 10, None))).json()] == [4, 3, 2, 1]
    assert (await read(view.revision, session, (config_id, 1))).json()["config"] == {"v": 1}


def _index_conditions(plan: dict) -> list[str]:
    found = [plan["Index Cond"]] if "Index Cond" in plan else []
    for child in plan.get("Plans", []):
        found += _index_conditions(child)
    return found


async def test_by_name_finds_the_configuration_by_both_columns_of_its_unique_index(session):
    """In the plan every connection keeps (generic), not by its application alone and its name
    filtered afterwards: a cost that grows with the application's configurations."""
    # Enough rows that the planner reads indexes: 200 applications of 10 configurations each.
    await session.execute(
        "INSERT INTO applications (id, name) SELECT '01BYNAMEAPP' || lpad(n::text, 15, '0'), 'app-' || n"
        " FROM generate_series(1, 200) n"
    )
    await session.execute(
        "INSERT INTO configurations (id, application_id, name)"
        " SELECT '01BYNAMECFG' || lpad(n::text, 15, '0'), '01BYNAMEAPP' || lpad((1 + n % 200)::text, 15, '0'), 'c' || n"
        " FROM generate_series(1, 2000) n"
    )
    await session.execute("ANALYZE applications, configurations")
    await session.execute("SET plan_cache_mode = force_generic_plan")
    try:
        await session.execute(view.SELECT_BY_NAMES.prepare_sql)
        explained = await session.fetch_one(
            "EXPLAIN (FORMAT JSON) " + view.SELECT_BY_NAMES.execute_sql, {"applications": ["app-8"], "names": ["c7"]}
        )
    finally:
        await session.execute(
            psycopg2.sql.SQL("DEALLOCATE {}").format(psycopg2.sql.Identifier(view.SELECT_BY_NAMES.name))
        )
        await session.execute("RESET plan_cache_mode")
    assert explained is not None
    conditions = _index_conditions(explained["QUERY PLAN"][0]["Plan"])
    assert any("application_id" in c and "(name)" in c for c in conditions), conditions
