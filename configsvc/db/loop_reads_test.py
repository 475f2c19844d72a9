import asyncio

import pytest

from configsvc.db.loop_reads import LoopReads, ReadSessions
from configsvc.db.session import Session
from configsvc.db.statements import Prepared
from configsvc.errors import DatabaseUnavailable
from test.sql import sql

pytestmark = pytest.mark.anyio

ECHO = Prepared("loop_reads_test_echo", "SELECT %(n)s::int AS n, 'x' AS word")


async def run_blocking(work):
    return await asyncio.get_running_loop().run_in_executor(None, work)


async def connected(dsn: str, *, call_seconds: float = 5.0, statement_timeout_ms: int = 5000) -> LoopReads:
    reads = LoopReads(dsn, run_blocking=run_blocking, timeout=call_seconds, statement_timeout_ms=statement_timeout_ms)
    assert await reads.wait_connected(10)
    return reads


def backend_pid(session) -> int:
    return session.connection.raw.info.backend_pid


async def test_a_read_gives_rows_as_dicts_and_prepares_a_statement_once_per_connection(database_url):
    reads = await connected(database_url)
    try:
        session = reads.claim()
        assert session is not None
        assert await session.fetch_all(ECHO, {"n": 1}) == [{"n": 1, "word": "x"}]
        assert await session.fetch_one(ECHO, {"n": 2}) == {"n": 2, "word": "x"}
        assert await session.fetch_one("SELECT current_setting('timezone') AS tz") == {"tz": "UTC"}
        assert session.connection.raw.prepared == {ECHO.name}
        reads.give_back(session)
        again = reads.claim()
        assert again is not None
        assert again.connection is session.connection  # kept, not reopened
        reads.give_back(again)
        assert await reads.wait_connected(1)
        third = reads.claim()
        assert third.connection is session.connection  # a second start opens none
        reads.give_back(third)
    finally:
        await reads.close()


async def test_it_is_lent_to_one_batch_at_a_time_and_the_pool_takes_the_others(database_url, database):
    reads = await connected(database_url)
    sessions = ReadSessions(database, reads)
    try:
        async with sessions.lease() as first, sessions.lease() as second:
            assert not isinstance(first, Session)
            assert isinstance(second, Session)
            assert reads.claim() is None
            results = await asyncio.gather(first.fetch_one(ECHO, {"n": 1}), second.fetch_one("SELECT 2 AS n"))
        assert results == [{"n": 1, "word": "x"}, {"n": 2}]
        async with sessions.lease() as third:  # given back: lent again
            assert not isinstance(third, Session)
    finally:
        await reads.close()


async def test_a_connection_the_server_closed_while_idle_is_replaced_and_meanwhile_reads_use_the_pool(database_url):
    reads = await connected(database_url)
    try:
        session = reads.claim()
        pid = backend_pid(session)
        reads.give_back(session)
        sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (pid,))
        await asyncio.sleep(0.1)  # the server's goodbye reaches the socket

        assert reads.claim() is None  # seen dead without a round trip: the caller uses the pool
        assert await reads.wait_connected(10)
        session = reads.claim()
        assert session is not None
        assert backend_pid(session) != pid
        assert await session.fetch_one(ECHO, {"n": 3}) == {"n": 3, "word": "x"}
        reads.give_back(session)
    finally:
        await reads.close()


async def test_a_statement_error_leaves_the_connection_in_use_but_a_lost_connection_is_dropped(database_url):
    reads = await connected(database_url, statement_timeout_ms=100)
    try:
        session = reads.claim()
        with pytest.raises(DatabaseUnavailable, match="took too long"):
            await session.fetch_one("SELECT pg_sleep(1)")  # statement_timeout: the connection is fine
        assert not session.broken
        assert await session.fetch_one(ECHO, {"n": 4}) == {"n": 4, "word": "x"}
        pid = backend_pid(session)
        reads.give_back(session)

        session = reads.claim()
        assert backend_pid(session) == pid
        sleeping = asyncio.ensure_future(session.fetch_one("SELECT pg_sleep(0.09)"))
        await asyncio.sleep(0.03)
        sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (pid,))
        with pytest.raises(DatabaseUnavailable):
            await sleeping
        assert session.broken
        reads.give_back(session)
        assert not reads.connected
        assert await reads.wait_connected(10)
    finally:
        await reads.close()


async def test_a_statement_cancelled_in_flight_or_timed_out_costs_the_connection_never_a_wrong_answer(database_url):
    reads = await connected(database_url, call_seconds=0.2)
    try:
        session = reads.claim()
        pid = backend_pid(session)
        with pytest.raises(DatabaseUnavailable, match="did not answer in time"):
            await session.fetch_one("SELECT pg_sleep(2)")  # the server is slower than the call timeout
        assert session.broken
        reads.give_back(session)
        assert not reads.connected  # its next answer would have been the old statement's

        assert await reads.wait_connected(10)
        session = reads.claim()
        assert backend_pid(session) != pid
        task = asyncio.ensure_future(session.fetch_one("SELECT pg_sleep(2)"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert session.broken
        with pytest.raises(DatabaseUnavailable):  # nothing more is sent after a statement cut short
            await session.fetch_one(ECHO, {"n": 5})
        reads.give_back(session)
        assert not reads.connected
    finally:
        await reads.close()


async def test_while_the_database_is_unreachable_claims_fail_over_to_the_pool_and_do_not_retry_each_time():
    reads = LoopReads(
        "postgresql://nobody@127.0.0.1:1/none", run_blocking=run_blocking, timeout=1.0, statement_timeout_ms=5000
    )
    try:
        assert not await reads.wait_connected(5)
        assert reads.attempts == 1
        assert reads.claim() is None
        assert reads.attempts == 1  # just after a failure: no new attempt, the pool serves
        await asyncio.sleep(0.1)
        assert reads.claim() is None
        assert reads.attempts == 2  # the first delay of the reconnect policy has passed
    finally:
        await reads.close()
