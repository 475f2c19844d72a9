import asyncio

import psycopg2
import pytest

from configsvc.db.listener import CHANNEL, Listener, ListenerDown
from test.sql import sql

pytestmark = pytest.mark.anyio


class Recording:
    def __init__(self) -> None:
        self.payloads: list[str] = []
        self.resets = 0


async def run_blocking(work):
    return await asyncio.get_running_loop().run_in_executor(None, work)


async def started(dsn: str, recording: Recording, sync_seconds: float = 2.0) -> Listener:
    listener = Listener(
        dsn,
        on_notification=recording.payloads.append,
        on_reset=lambda: setattr(recording, "resets", recording.resets + 1),
        run_blocking=run_blocking,
        timeout=sync_seconds,
        statement_timeout_ms=5000,
    )
    listener.start()
    async with asyncio.timeout(10):
        while not listener.live:
            await asyncio.sleep(0.01)
    return listener


def notifier(dsn: str):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


async def test_a_sync_answered_proves_every_notification_committed_before_it_arrived(database_url):
    """The ReadIndex property, many times over: a NOTIFY whose COMMIT returned before synced() was
    called has been handled when synced() returns, though nothing else waited for it."""
    recording = Recording()
    listener = await started(database_url, recording)
    conn = notifier(database_url)
    try:
        with conn.cursor() as cursor:
            for n in range(500):
                cursor.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"c:{n}:x"))  # committed on return
                await listener.synced()
                assert recording.payloads[-1:] == [f"c:{n}:x"], n
    finally:
        conn.close()
        await listener.stop()


async def test_reads_arriving_while_a_round_trip_is_out_share_the_next(database_url, monkeypatch):
    monkeypatch.setattr("configsvc.db.listener.SYNC_QUERY", "SELECT pg_sleep(0.05)")  # a slow wire, to see it
    listener = await started(database_url, Recording())
    sent = []
    send = listener._send_queued

    def counting() -> None:
        sent.append(1)
        send()

    listener._send_queued = counting
    try:
        await asyncio.gather(*(listener.synced() for _ in range(50)))
    finally:
        await listener.stop()
    assert len(sent) == 2  # the first left at once; the 49 that came while it was out share the second


async def test_a_lost_connection_resets_and_listens_again_by_itself(database_url):
    recording = Recording()
    listener = await started(database_url, recording)
    try:
        epoch, resets = listener.epoch, recording.resets
        sql(
            database_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'configsvc-listener-%'",
        )
        async with asyncio.timeout(10):
            while listener.epoch < epoch + 2 or not listener.live:  # lost, then listening again
                await asyncio.sleep(0.01)
        assert recording.resets >= resets + 2  # on the loss, and on listening again

        conn = notifier(database_url)
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, 'a:again')", (CHANNEL,))
        conn.close()
        await listener.synced()
        assert recording.payloads[-1] == "a:again"
    finally:
        await listener.stop()


async def test_nothing_is_provable_while_not_listening():
    listener = Listener(
        "postgresql://nobody@127.0.0.1:1/none",
        on_notification=lambda _: None,
        on_reset=lambda: None,
        run_blocking=run_blocking,
        timeout=0.5,
        statement_timeout_ms=100,
    )
    listener.start()
    await asyncio.sleep(0.2)
    try:
        assert not listener.live
        assert listener.last_error
        with pytest.raises(ListenerDown):
            await listener.synced()
    finally:
        await listener.stop()
