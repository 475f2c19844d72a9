import asyncio
import os
import select
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest

from configsvc.db import deadline, sync_point
from configsvc.db.listener import CHANNEL, Listener, ListenerDown
from configsvc.errors import DatabaseUnavailable
from test import late_signals_test
from test.late_signals import LateSignal
from test.sql import sql

pytestmark = pytest.mark.anyio


class Recording:
    def __init__(self) -> None:
        self.payloads: list[str] = []
        self.resets = 0


async def run_blocking(work):
    return await asyncio.get_running_loop().run_in_executor(None, work)


async def started(dsn: str, recording: Recording, sync_seconds: float = 2.0) -> Listener:
    listener = Listener(dsn, run_blocking=run_blocking, timeout=sync_seconds, statement_timeout_ms=5000)
    listener.subscribe(recording.payloads.append, lambda: setattr(recording, "resets", recording.resets + 1))
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
    slow = " FROM pg_sleep(0.05)"  # a slow wire, to see it
    monkeypatch.setattr("configsvc.db.sync_point.MARKER", sync_point.MARKER + slow)
    monkeypatch.setattr("configsvc.db.sync_point.SNAPSHOT", sync_point.SNAPSHOT + slow)
    listener = await started(database_url, Recording())
    try:
        await asyncio.gather(*(listener.synced() for _ in range(50)))
        assert listener.sync is not None
        assert listener.sync.round_trips == 1  # asked in one turn of the loop: they share it
        first = asyncio.ensure_future(listener.synced())
        await asyncio.sleep(0.01)  # on the wire now
        await asyncio.gather(first, *(listener.synced() for _ in range(20)))
        assert listener.sync.round_trips == 3  # the 20 that came while it was out share the next
    finally:
        await listener.stop()


@pytest.mark.slow
async def test_a_sync_hears_a_commit_that_is_visible_before_its_backend_signals_the_listeners(database_url):
    """Issue 31's interleaving, forced: a write is visible (another reader could have answered it)
    while a plain listener has not been told; synced() must not return before it is heard."""
    recording = Recording()
    listener = await started(database_url, recording)
    plain = late_signals_test.listening(database_url, CHANNEL)
    sql(database_url, "CREATE TABLE register (v int); INSERT INTO register VALUES (0)")
    try:
        for attempt in range(3):
            await listener.synced()  # quiet since: the next sync would be a plain round trip
            update = "UPDATE register SET v = v + 1; SELECT pg_notify('configsvc_changes', 'a:late')"
            with LateSignal(database_url, update) as write:
                await asyncio.to_thread(write.wait_visible, "SELECT v FROM register", (), attempt + 1)
                with plain.cursor() as cursor:
                    cursor.execute("SELECT 1")
                # The window is real: a plain round trip on a listener does not hear it yet.
                assert [n.payload for n in plain.notifies] == [], attempt
                await listener.synced()
                assert recording.payloads[-1:] == ["a:late"], attempt
            await asyncio.to_thread(select.select, [plain], [], [], 5)
            plain.poll()
            plain.notifies.clear()
    finally:
        plain.close()
        await listener.stop()


async def test_while_nothing_commits_a_sync_is_a_plain_round_trip_and_a_commit_brings_a_marker(database_url):
    listener = await started(database_url, Recording())
    conn = notifier(database_url)
    try:
        await listener.synced()
        await listener.synced()  # the first one's own marker was the last thing to commit
        assert listener.sync is not None
        markers = listener.sync.markers
        for _ in range(20):
            await listener.synced()
        assert listener.sync.markers == markers
        with conn.cursor() as cursor:
            for n in range(5):
                cursor.execute("SELECT pg_notify('elsewhere', 'x')")  # any commit, on any channel
                await listener.synced()
                assert listener.sync.markers == markers + n + 1
    finally:
        conn.close()
        await listener.stop()


async def test_two_listeners_syncing_on_a_quiet_database_do_not_keep_sending_markers(database_url):
    """Each marker is a commit the other listener sees: unless markers are known as such, two
    processes would answer each other's markers with markers for ever, with nothing written."""
    first = await started(database_url, Recording())
    second = await started(database_url, Recording())
    try:
        for _ in range(3):
            await first.synced()
            await second.synced()
        assert first.sync is not None
        assert second.sync is not None
        before = first.sync.markers + second.sync.markers
        for _ in range(100):
            await first.synced()
            await second.synced()
        assert first.sync.markers + second.sync.markers - before <= 5
    finally:
        await first.stop()
        await second.stop()


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
        "postgresql://nobody@127.0.0.1:1/none", run_blocking=run_blocking, timeout=0.5, statement_timeout_ms=100
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


@contextmanager
def listener_backend_stopped(database_url: str) -> Iterator[None]:
    """The listening backend stops answering (SIGSTOP), as if the network to it went silent."""
    (pid,) = (
        pid
        for (pid,) in sql(
            database_url,
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            (f"configsvc-listener-{os.getpid()}",),
        )
    )
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def test_a_sync_ends_at_the_deadline_in_force_and_keeps_the_connection(database_url):
    """A read's deadline came first: the read gives up (503), the connection may only be slow."""
    listener = await started(database_url, Recording(), sync_seconds=10)
    try:
        await listener.synced()
        epoch = listener.epoch
        with listener_backend_stopped(database_url):
            with deadline.bounded(0.2), pytest.raises(DatabaseUnavailable):
                async with asyncio.timeout(2):
                    await listener.synced()
            assert listener.live
            assert listener.epoch == epoch
        await listener.synced()  # the round trip it gave up on, then its own
    finally:
        await listener.stop()


async def test_a_sync_past_the_listeners_own_timeout_gives_the_connection_up(database_url):
    listener = await started(database_url, Recording(), sync_seconds=0.2)
    try:
        await listener.synced()
        epoch = listener.epoch
        with listener_backend_stopped(database_url), pytest.raises(ListenerDown):
            async with asyncio.timeout(2):
                await listener.synced()
        assert listener.epoch > epoch  # lost: whatever was cached is forgotten, and it reconnects
    finally:
        await listener.stop()
