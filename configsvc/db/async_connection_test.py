import asyncio

import psycopg2
import pytest

from configsvc.db.async_connection import RECONNECT_DELAYS, AsyncConnection, Backoff
from configsvc.db.statements import Prepared
from test.sql import sql

pytestmark = pytest.mark.anyio

ECHO = Prepared("async_connection_test_echo", "SELECT %(n)s::int AS n")


async def run_blocking(work):
    return await asyncio.get_running_loop().run_in_executor(None, work)


async def opened(dsn: str) -> AsyncConnection:
    return await AsyncConnection.open(
        dsn, run_blocking=run_blocking, within=5, statement_timeout_ms=5000, application_name="async-test"
    )


def test_the_reconnect_policy_starts_short_and_settles_at_a_second_until_reset():
    backoff = Backoff()
    assert [backoff.next_delay() for _ in range(7)] == [*RECONNECT_DELAYS, 1.0, 1.0]
    backoff.reset()
    assert backoff.next_delay() == RECONNECT_DELAYS[0]


async def test_a_statement_runs_without_blocking_and_is_prepared_once(database_url):
    conn = await opened(database_url)
    try:
        for n in range(3):
            cursor = await conn.execute(ECHO, {"n": n})
            assert cursor.fetchone() == (n,)
        assert conn.raw.prepared == {ECHO.name}
        assert (await conn.execute("SHOW timezone")).fetchone() == ("UTC",)
    finally:
        conn.close()


async def test_a_connection_that_cannot_be_made_in_time_fails_and_leaves_nothing_open():
    with pytest.raises((psycopg2.Error, TimeoutError)):
        await AsyncConnection.open(
            "postgresql://nobody@127.0.0.1:1/none",
            run_blocking=run_blocking,
            within=1,
            statement_timeout_ms=100,
            application_name="async-test",
        )


async def test_closing_unregisters_the_descriptor_even_after_libpq_closed_the_socket(database_url):
    """The server ends the connection; libpq closes the socket as it reads the end. The event loop
    must not keep a registration for that number: the next socket to get it would be captured."""
    conn = await opened(database_url)
    fd = conn.raw.fileno()
    readable = asyncio.Event()
    conn.on_readable(readable.set)
    sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (conn.raw.info.backend_pid,))
    await asyncio.wait_for(readable.wait(), 10)
    for _ in range(100):  # libpq reads the server's last words, then the end, and closes its socket
        try:
            conn.poll()
        except psycopg2.Error:
            break
        await asyncio.sleep(0.01)
    assert conn.closed

    conn.close()

    assert asyncio.get_running_loop().remove_reader(fd) is False  # nothing left registered under it
