"""`Client` against real serves of the service: watching (each change once, through a restart of
the service and of its database, with a cold start from the cache), stopping, closing, and the
headers every request carries."""

import threading
import time

import httpx
import pytest
from test.postgres import RestartablePostgres
from test.serving import ServeInstance
from test.sql import sql

from configsvc_client import Client, Snapshot


class Follower:
    """Iterates a watch in a thread of its own, keeping what it yields."""

    def __init__(self, client: Client, application: str, name: str) -> None:
        self.seen: list[Snapshot] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._follow, args=(client.watch(application, name),), daemon=True)
        self._thread.start()

    def _follow(self, watch) -> None:
        for snapshot in watch:
            with self._changed:
                self.seen.append(snapshot)
                self._changed.notify_all()

    def wait_for(self, count: int, seconds: float = 15) -> list[Snapshot]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.seen) >= count, seconds), self.versions()
        return self.seen

    def versions(self) -> list[tuple[int, str]]:
        return [(s.version, s.source) for s in self.seen]

    def join(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()


def test_watch_yields_the_current_version_then_each_change_once(service, app_name):
    with Client(service.url) as client, Client(service.url) as writer:
        writer.put(app_name, "production", {"v": 1})
        follower = Follower(client, app_name, "production")
        follower.wait_for(1)
        for v in range(2, 7):
            writer.put(app_name, "production", {"v": v})
            follower.wait_for(v)  # each change arrives before the next is written
        assert [(s.version, s.config) for s in follower.seen] == [(v, {"v": v}) for v in range(1, 7)]
    assert follower.join(5)  # closing the client ended it


def test_breaking_out_stops_at_once_and_leaves_no_thread(service, app_name):
    threads = threading.active_count()
    with Client(service.url, wait=30) as client:
        client.put(app_name, "production", {"v": 1})
        watch = client.watch(app_name, "production")
        started = time.monotonic()
        for snapshot in watch:
            assert snapshot.version == 1
            break
        watch.close()  # what a for loop's end does to the generator once nothing refers to it
        assert time.monotonic() - started < 2
        assert watch.gi_frame is None
        assert threading.active_count() == threads


def test_closing_the_client_ends_a_watch_blocked_in_a_held_request_at_once(service, app_name):
    client = Client(service.url, wait=30)
    client.put(app_name, "production", {"v": 1})
    follower = Follower(client, app_name, "production")
    follower.wait_for(1)
    time.sleep(0.3)  # the watch is now held by the service, for up to 30 s
    started = time.monotonic()
    client.close()
    assert follower.join(2)
    assert time.monotonic() - started < 2
    with pytest.raises(RuntimeError, match="closed"):
        client.get(app_name, "production")
    assert list(client.watch(app_name, "production")) == []


def restart_on_the_same_port(old: ServeInstance, database_url: str) -> ServeInstance:
    again = ServeInstance(database_url, workers=1, PORT=str(old.port))
    again.port, again.url = old.port, old.url
    again.wait_ready()
    return again


@pytest.mark.slow
def test_watch_misses_nothing_and_repeats_nothing_across_a_restart_of_the_service(database_url, tmp_path):
    instance = ServeInstance(database_url, workers=1)
    instance.wait_ready()
    try:
        with Client(instance.url, cache_dir=tmp_path) as client:
            written = client.put("payments", "production", {"v": 1})
            running = Follower(client, "payments", "production")
            running.wait_for(1)
            instance.stop()
            # A second service starts while configsvc is down: it begins from the cache.
            with Client(instance.url, cache_dir=tmp_path) as cold:
                starting = Follower(cold, "payments", "production")
                assert starting.wait_for(1)[0].stale
                # Changed while no service ran (by SQL, as an operator might).
                sql(
                    database_url,
                    "UPDATE configurations SET version = 2, config = '{\"v\": 2}' WHERE id = %s",
                    (written.id,),
                )
                instance = restart_on_the_same_port(instance, database_url)
                running.wait_for(2, seconds=20)
                starting.wait_for(2, seconds=20)
                client.put("payments", "production", {"v": 3})
                running.wait_for(3)
                starting.wait_for(3)
                time.sleep(0.5)  # nothing more arrives
                assert starting.versions() == [(1, "cache"), (2, "server"), (3, "server")]
            assert running.versions() == [(1, "server"), (2, "server"), (3, "server")]
    finally:
        instance.stop()


@pytest.mark.slow
def test_watch_misses_nothing_across_a_restart_of_the_database():
    postgres = RestartablePostgres()
    instance = ServeInstance(postgres.url, workers=1, DB_LEASE_TIMEOUT_SECONDS="1")
    try:
        instance.wait_ready()
        with Client(instance.url) as client:
            written = client.put("payments", "production", {"v": 1})
            follower = Follower(client, "payments", "production")
            follower.wait_for(1)
            time.sleep(0.3)  # held
            postgres.stop()
            time.sleep(1.0)
            postgres.start()
            # Written the moment the database is back: the service's listener may not have heard it.
            postgres.query("UPDATE configurations SET version = 2, config = '{\"v\": 2}' WHERE id = %s", (written.id,))
            follower.wait_for(2, seconds=20)
            deadline = time.monotonic() + 20
            while True:  # the service answers 503 until its pool has reconnected
                try:
                    client.put("payments", "production", {"v": 3})
                    break
                except Exception:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            follower.wait_for(3)
            time.sleep(0.5)
        assert follower.versions() == [(1, "server"), (2, "server"), (3, "server")]
    finally:
        instance.stop()
        postgres.close()


def test_every_request_carries_the_token_a_request_id_and_the_user_agent():
    seen: list[httpx.Request] = []
    body = {
        "id": "01J0000000000000000000000C",
        "application_id": "01J0000000000000000000000A",
        "name": "production",
        "comments": None,
        "config": {},
        "version": 1,
        "created_at": "t",
        "updated_at": "t",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.path.endswith("/revisions"):
            return httpx.Response(200, json=[])
        return httpx.Response(200, json=body, headers={"ETag": '"1"'})

    with Client("http://svc", token="cfgsvc_" + "x" * 43, transport=httpx.MockTransport(answer)) as client:
        client.get("payments", "production")
        client.put("payments", "production", {})
        client.history("payments", "production")
        client.delete("payments", "production")
        next(iter(client.watch("payments", "production")))
    assert len(seen) == 8
    assert {r.headers["Authorization"] for r in seen} == {"Bearer cfgsvc_" + "x" * 43}
    assert len({r.headers["X-Request-ID"] for r in seen}) == 8
    assert all(r.headers["User-Agent"].startswith("configsvc-client/0.1.0 ") for r in seen)
