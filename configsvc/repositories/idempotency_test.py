import asyncio

import psycopg2
import pytest

from configsvc.db.session import Session
from configsvc.repositories.idempotency import IdempotencyRepository

pytestmark = pytest.mark.anyio

KEY = {"method": "POST", "path": "/api/v1/applications", "key": "k-1"}


async def test_first_claim_owns_the_key_and_later_claims_get_the_stored_response(database):
    async with Session(database) as session:
        repository = IdempotencyRepository(session)
        assert await repository.claim(**KEY, request_hash="a" * 64) is None
        await repository.complete(**KEY, status=201, headers={"location": "/x"}, body=b'{"id":1}')
        await session.commit()

    async with Session(database) as session:
        stored = await IdempotencyRepository(session).claim(**KEY, request_hash="b" * 64)

    assert (stored.request_hash, stored.status, stored.headers, stored.body) == (
        "a" * 64,
        201,
        {"location": "/x"},
        b'{"id":1}',
    )


async def test_a_claim_rolled_back_leaves_the_key_free(database):
    async with Session(database) as session:
        assert await IdempotencyRepository(session).claim(**KEY, request_hash="a" * 64) is None
        await session.rollback()

    async with Session(database) as session:
        assert await IdempotencyRepository(session).claim(**KEY, request_hash="a" * 64) is None


async def test_a_concurrent_claim_waits_for_the_first_transaction(database):
    async with Session(database) as first:
        assert await IdempotencyRepository(first).claim(**KEY, request_hash="a" * 64) is None

        async def second_claim():
            async with Session(database) as second:
                return await IdempotencyRepository(second).claim(**KEY, request_hash="a" * 64)

        waiting = asyncio.create_task(second_claim())
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await IdempotencyRepository(first).complete(**KEY, status=201, headers={}, body=b"{}")
        await first.commit()

    assert (await waiting).status == 201


async def test_keys_older_than_24_hours_are_taken_over_and_purged(database, database_url):
    async with Session(database) as session:
        repository = IdempotencyRepository(session)
        await repository.claim(**KEY, request_hash="a" * 64)
        await repository.complete(**KEY, status=201, headers={}, body=b"{}")
        await repository.claim(**(KEY | {"key": "k-2"}), request_hash="a" * 64)
        await repository.complete(**(KEY | {"key": "k-2"}), status=201, headers={}, body=b"{}")
        await session.commit()
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cursor:
        cursor.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    conn.close()

    async with Session(database) as session:
        assert await IdempotencyRepository(session).claim(**KEY, request_hash="c" * 64) is None
        await session.commit()

    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT key, request_hash, status FROM idempotency_keys")
        assert cursor.fetchall() == [("k-1", "c" * 64, None)]  # k-1 taken over, k-2 purged
    conn.close()
