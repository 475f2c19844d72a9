import psycopg2
import pytest

from configsvc.db.connection import PooledConnection, connection_lost, looks_dead
from test.sql import sql


@pytest.fixture
def conn(database_url):
    connection = psycopg2.connect(database_url, connection_factory=PooledConnection)
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
