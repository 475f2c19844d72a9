import asyncio

import pytest

from configsvc.db.session import Session
from configsvc.errors import ConstraintViolated, DatabaseUnavailable
from test.pools import open_database
from test.sql import sql

pytestmark = pytest.mark.anyio


async def test_driver_errors_leave_the_session_as_domain_errors(database_url):
    async with open_database(database_url) as database, Session(database, autocommit=True) as session:
        await session.execute("INSERT INTO applications (id, name) VALUES (%s, 'a')", ("0" * 26,))
        with pytest.raises(ConstraintViolated) as violated:
            await session.execute("INSERT INTO applications (id, name) VALUES (%s, 'a')", ("1" * 26,))

    assert violated.value.constraint == "applications_name_key"
    assert not session.broken  # a refused statement leaves a healthy connection


async def test_a_lost_connection_marks_the_session_broken(database_url):
    async with open_database(database_url, max_size=1) as database, Session(database) as session:
        pid = (await session.fetch_one("SELECT pg_backend_pid() AS pid"))["pid"]
        sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", (pid,))
        with pytest.raises(DatabaseUnavailable):
            await session.fetch_one("SELECT 1")

    assert session.broken


async def test_a_deferred_lease_waits_for_its_slot_only_at_the_first_call(database_url):
    async with (
        open_database(database_url, max_size=1, lease_timeout=2.0) as database,
        Session(database, deferred=True) as idle,
    ):
        # The only slot is free: an eager lease gets it while the deferred one holds nothing.
        async with asyncio.timeout(0.5), Session(database) as eager:
            assert await eager.fetch_one("SELECT 1 AS one") == {"one": 1}
        assert not idle.holds_slot
        assert await idle.fetch_one("SELECT 2 AS two") == {"two": 2}
        assert idle.holds_slot


async def test_commit_and_rollback_without_a_connection_do_nothing(database_url):
    async with open_database(database_url) as database, Session(database, deferred=True) as session:
        await session.commit()
        await session.rollback()

    assert session.connection is None
