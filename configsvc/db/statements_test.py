import pytest

from configsvc.db.session import Session
from configsvc.db.statements import Prepared
from test.pools import backend_pid, open_database
from test.sql import sql

pytestmark = pytest.mark.anyio


def test_prepared_statements_number_their_named_parameters_in_order_of_first_use():
    statement = Prepared("by_two", "SELECT %(b)s::int + %(a)s::int + %(b)s::int AS total")

    assert statement.prepare_sql == "PREPARE by_two AS SELECT $1::int + $2::int + $1::int AS total"
    assert statement.execute_sql == "EXECUTE by_two (%(b)s, %(a)s)"


async def test_a_prepared_statement_is_prepared_once_per_connection(database_url):
    statement = Prepared("test_sum", "SELECT %(a)s::int + %(b)s::int AS total")
    async with open_database(database_url, max_size=1) as database:
        for a in range(3):
            async with Session(database) as session:
                assert await session.fetch_one(statement, {"a": a, "b": 10}) == {"total": a + 10}
        async with Session(database) as session:
            prepared = await session.fetch_all("SELECT name FROM pg_prepared_statements")

    assert prepared == [{"name": "test_sum"}]


async def test_a_new_connection_prepares_again(database_url):
    statement = Prepared("test_again", "SELECT 1 AS one")
    async with open_database(database_url, max_size=1) as database:
        first = await backend_pid(database)
        async with Session(database) as session:
            await session.fetch_one(statement)
        sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (first,))
        async with Session(database) as session:
            assert await session.fetch_one(statement) == {"one": 1}
