import psycopg2
import pytest

from configsvc.db.connection import Connection, connection_lost, connection_parameters, looks_dead, polled
from test.sql import sql


@pytest.fixture
def conn(database_url):
    connection = psycopg2.connect(database_url, connection_factory=Connection)
    yield connection
    connection.close()


def test_a_pooled_connection_starts_with_nothing_prepared(conn):
    assert conn.prepared == set()


def test_an_idle_connection_looks_alive_until_the_server_closes_it(conn, database_url):
    assert not looks_dead(conn)

    sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (conn.info.backend_pid,))

    assert looks_dead(conn)


def test_a_closed_connection_looks_dead(conn):
    conn.close()

    assert looks_dead(conn)


def test_a_statement_timeout_leaves_the_connection_usable_a_lost_server_does_not(conn, database_url):
    with conn.cursor() as cursor:
        cursor.execute("SET statement_timeout = 10")
        with pytest.raises(psycopg2.errors.QueryCanceled) as timed_out:
            cursor.execute("SELECT pg_sleep(1)")
    conn.rollback()
    assert not connection_lost(conn, timed_out.value)

    sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (conn.info.backend_pid,))
    with pytest.raises(psycopg2.OperationalError) as lost, conn.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection_lost(conn, lost.value)


def test_only_connection_errors_can_mean_a_lost_connection(conn):
    assert not connection_lost(conn, psycopg2.errors.UniqueViolation())
    assert not connection_lost(conn, ValueError("not a driver error"))
    assert connection_lost(None, psycopg2.InterfaceError("connection already closed"))


@pytest.mark.anyio
async def test_an_asynchronous_connection_opened_with_the_shared_parameters_is_driven_by_polling(database_url):
    """Both what every connection of the service is opened with, and the loop's polling of one."""
    parameters = connection_parameters(statement_timeout_ms=1234, connect_timeout=5, application_name="configsvc-t")
    conn = psycopg2.connect(database_url, async_=True, **parameters)
    try:
        await polled(conn)  # the connect
        cursor = conn.cursor()
        cursor.execute(
            "SELECT current_setting('timezone'), current_setting('statement_timeout'), "
            "current_setting('application_name'), pg_sleep(0.05)"
        )
        await polled(conn)  # the query, answered after a wait on the loop
        assert cursor.fetchone()[:3] == ("UTC", "1234ms", "configsvc-t")
    finally:
        conn.close()
