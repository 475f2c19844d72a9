import asyncio
import os
import time
from contextlib import suppress

import psycopg2
import pytest

from configsvc.db.connection import Connection
from configsvc.db.pool import Database, Pool
from configsvc.db.session import Session
from configsvc.errors import DatabaseUnavailable, PoolExhausted
from test.pools import backend_pid, open_database
from test.sql import sql

pytestmark = pytest.mark.anyio


async def test_sessions_run_in_utc_with_the_statement_timeout_and_dict_rows(database_url):
    async with open_database(database_url, statement_timeout_ms=1234) as database, Session(database) as session:
        row = await session.fetch_one("SHOW timezone")
        timeout = await session.fetch_one("SHOW statement_timeout")

    assert row == {"TimeZone": "UTC"}
    assert timeout == {"statement_timeout": "1234ms"}


async def test_lease_waits_for_a_free_connection(database_url):
    async with open_database(database_url, max_size=1, lease_timeout=2.0) as database:
        order: list[str] = []

        async def hold() -> None:
            async with Session(database):
                order.append("first in")
                await asyncio.sleep(0.3)
                order.append("first out")

        async def wait() -> None:
            await asyncio.sleep(0.05)
            async with Session(database):
                order.append("second in")

        await asyncio.gather(hold(), wait())

    assert order == ["first in", "first out", "second in"]


async def test_lease_times_out_with_a_domain_error_when_the_pool_is_exhausted(database_url):
    async with open_database(database_url, max_size=1, lease_timeout=0.3) as database, Session(database):
        started = time.monotonic()
        with pytest.raises(PoolExhausted, match=r"within 0\.3 s"):
            async with Session(database):
                pass
        waited = time.monotonic() - started

    assert 0.3 <= waited < 1.0


async def test_connection_closed_while_idle_is_never_handed_out(database_url):
    async with open_database(database_url, max_size=1) as database:
        first = await backend_pid(database)
        sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (first,))

        # No request pays for the dead connection: checkout notices and connects anew.
        assert await backend_pid(database) != first


async def test_connection_broken_during_use_is_discarded_not_handed_out_again(database_url):
    async with open_database(database_url, max_size=1) as database:
        first = None

        async def killed_mid_use() -> None:
            nonlocal first
            async with Session(database) as session:
                first = (await session.fetch_one("SELECT pg_backend_pid() AS pid"))["pid"]
                sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (first,))
                await session.fetch_one("SELECT 1")

        with pytest.raises(DatabaseUnavailable):
            await killed_mid_use()

        assert await backend_pid(database) != first


async def test_a_silent_server_is_given_up_on_after_the_statement_timeout_and_grace(database_url, monkeypatch):
    monkeypatch.setattr("configsvc.db.pool.CALL_GRACE_SECONDS", 0.2)
    async with open_database(database_url, statement_timeout_ms=60_000) as database:
        database.call_timeout = 0.3  # as if the server stopped answering
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable, match="did not answer in time"):
            async with Session(database) as session:
                await session.execute("SELECT pg_sleep(5)")

        assert time.monotonic() - started < 2
        async with Session(database) as session:
            assert await session.fetch_one("SELECT 1 AS one") == {"one": 1}


async def test_unfinished_transaction_is_rolled_back_before_reuse(database_url):
    async with open_database(database_url, max_size=1) as database:
        async with Session(database) as session:
            await session.execute("INSERT INTO applications (id, name) VALUES (%s, 'left open')", ("0" * 26,))

        async with Session(database) as session:
            assert await session.fetch_all("SELECT * FROM applications") == []


async def test_cancelled_request_cancels_its_statement_and_frees_the_connection(database_url):
    async with open_database(database_url, max_size=1) as database:

        async def slow() -> None:
            async with Session(database) as session:
                await session.execute("SELECT pg_sleep(30)")

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.3)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        async with Session(database) as session:
            assert await session.fetch_one("SELECT 1 AS one") == {"one": 1}
        assert time.monotonic() - started < 2
        sleeping = sql(
            database_url,
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'",
        )
        assert sleeping == [(0,)]


async def test_statement_timeout_is_unavailable_but_keeps_the_healthy_connection(database_url):
    async with open_database(database_url, statement_timeout_ms=100, max_size=1) as database:
        first = await backend_pid(database)
        with pytest.raises(DatabaseUnavailable, match="took too long"):
            async with Session(database) as session:
                await session.execute("SELECT pg_sleep(2)")

        assert await backend_pid(database) == first


async def test_cancelled_checkout_never_lets_the_pool_exceed_its_size(database_url):
    async with open_database(database_url, max_size=1, lease_timeout=2.0) as database:
        for _ in range(20):
            task = asyncio.create_task(backend_pid(database))
            await asyncio.sleep(0)
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        # Any PoolError ("exhausted") would surface as DatabaseUnavailable here.
        assert await asyncio.gather(*(backend_pid(database) for _ in range(5)))


async def test_closed_database_refuses_leases_without_pool_error(database_url):
    async with open_database(database_url) as database:
        pass

    with pytest.raises(DatabaseUnavailable, match="closed"):
        async with Session(database):
            pass


async def test_unreachable_database_is_unavailable_at_open():
    database = Database(
        "postgresql://nobody@127.0.0.1:1/none", min_size=1, max_size=1, lease_timeout=1, statement_timeout_ms=100
    )
    with pytest.raises(DatabaseUnavailable, match="cannot connect"):
        await database.open()
    await database.close()


async def test_returned_connections_stay_open_for_reuse(database_url):
    async with open_database(database_url, min_size=0, max_size=2) as database:
        assert await backend_pid(database) == await backend_pid(database)


async def test_a_lease_costs_no_executor_hop_until_its_first_call(database_url):
    async with open_database(database_url, max_size=1) as database:
        async with Session(database) as session:
            assert session.connection is None
            await session.fetch_one("SELECT 1")
            assert session.connection is not None
        async with Session(database) as unused:
            pass
        assert unused.connection is None


async def test_autocommit_leases_skip_the_transaction_and_are_reset_on_return(database_url):
    async with open_database(database_url, max_size=1) as database:
        async with Session(database, autocommit=True) as session:
            await session.execute("INSERT INTO applications (id, name) VALUES (%s, 'kept')", ("0" * 26,))
            assert session.connection.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        async with Session(database) as session:
            assert await session.fetch_one("SELECT name FROM applications") == {"name": "kept"}
            assert session.connection.autocommit is False


async def test_connections_with_descriptors_above_1023_are_not_mistaken_for_dead(database_url):
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        async with open_database(database_url, max_size=1) as database:
            async with Session(database) as session:
                assert session.connection is None
                assert await session.fetch_one("SELECT 1 AS one") == {"one": 1}
                assert session.connection.fileno() >= 1024
            assert await backend_pid(database) == await backend_pid(database)  # reused, not dropped
    finally:
        for fd in spare:
            os.close(fd)


class SlowConnection(Connection):
    def __init__(self, *args, **kwargs):
        time.sleep(0.5)
        super().__init__(*args, **kwargs)


async def test_a_request_cancelled_during_checkout_does_not_run_its_statement(database_url):
    async with open_database(database_url, max_size=1, connection_factory=SlowConnection) as database:

        async def slow() -> None:
            async with Session(database) as session:
                await session.execute("SELECT pg_sleep(3)")

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.2)  # still connecting
        started = time.monotonic()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        async with Session(database) as session:
            assert await session.fetch_one("SELECT 1 AS one") == {"one": 1}

        assert time.monotonic() - started < 2  # not the 3 s of the statement


def test_putconn_nowait_never_waits_for_a_busy_pool(database_url):
    pool = Pool(0, 1, database_url)
    try:
        conn = pool.getconn()
        with pool._lock:  # as while another thread opens a connection
            assert pool.putconn_nowait(conn) is False
        assert pool.putconn_nowait(conn) is True
    finally:
        pool.closeall()


async def test_an_idle_connection_goes_back_without_a_task_or_a_hop(database_url, monkeypatch):
    """The common release is synchronous; only one needing I/O (a rollback) takes the slow path."""
    async with open_database(database_url, max_size=1) as database:
        slow_releases = []
        put_back = database.put_back

        def recording_put_back(conn, discard):  # the slow path's, on the executor
            slow_releases.append(conn.info.transaction_status)
            put_back(conn, discard)

        monkeypatch.setattr(database, "put_back", recording_put_back)
        async with Session(database, autocommit=True) as session:
            await session.fetch_one("SELECT 1 AS one")
        async with Session(database) as session:
            await session.fetch_one("SELECT 1 AS one")
            await session.commit()
        assert slow_releases == []

        async with Session(database) as session:
            await session.fetch_one("SELECT 1 AS one")  # leaves a transaction open: rolled back
        assert slow_releases == [psycopg2.extensions.TRANSACTION_STATUS_INTRANS]
        async with Session(database) as session:  # the same (only) connection, rolled back
            status = await session.call(lambda conn: conn.info.transaction_status)
        assert status == psycopg2.extensions.TRANSACTION_STATUS_IDLE


async def test_a_failing_fast_release_falls_back_and_keeps_the_slot(database_url, monkeypatch):
    async with open_database(database_url, max_size=1, lease_timeout=0.5) as database:

        def refuse(conn):
            raise psycopg2.pool.PoolError("refused")

        monkeypatch.setattr(database._pool, "putconn_nowait", refuse)
        async with Session(database, autocommit=True) as session:
            await session.fetch_one("SELECT 1 AS one")
        monkeypatch.undo()

        async with Session(database) as session:  # the only slot is free again, and usable
            assert (await session.fetch_one("SELECT 1 AS one")) == {"one": 1}
