"""Following a failover (SPEC §12): a serve instance on a multi-host DATABASE_URL, writes going on
while the primary dies (immediate stop) and its synchronous standby is promoted. `make failover`
runs it (FAILOVER_RUNS times); `make test` leaves it out, as it takes tens of seconds."""

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from test.replication import ReplicatedPostgres
from test.serving import ServeInstance

pytestmark = pytest.mark.failover

API = "/api/v1"
STATEMENT_TIMEOUT_MS = 3000
BOUND = STATEMENT_TIMEOUT_MS / 1000 + 2
RUNS = int(os.environ.get("FAILOVER_RUNS", "1"))


@dataclass
class Write:
    config_id: str
    sent: float
    answered: float | None
    status: int | None
    version: int | None


@pytest.fixture
def cluster():
    directory = Path(tempfile.mkdtemp(prefix="configsvc-failover-"))
    directory.chmod(0o755)  # the embedded server's own user runs PostgreSQL when we are root
    replicated = ReplicatedPostgres(directory / "cluster")
    yield replicated
    replicated.close()
    directory.rmdir()


@pytest.mark.parametrize("run", range(RUNS))
def test_writes_follow_a_promoted_standby_and_no_acknowledged_write_is_lost(cluster, run):
    instance = ServeInstance(
        cluster.url, DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS), DB_LEASE_TIMEOUT_SECONDS="1"
    )
    try:
        instance.wait_ready()
        with httpx.Client(base_url=instance.url, timeout=BOUND + 5) as client:
            app = client.post(f"{API}/applications", json={"name": "ha"}).raise_for_status().json()
            configs = [
                client.post(f"{API}/configurations", json={"application_id": app["id"], "name": f"c{n}"})
                .raise_for_status()
                .json()["id"]
                for n in range(4)
            ]
            watched = client.post(f"{API}/configurations", json={"application_id": app["id"], "name": "watched"})
            watched_id, watched_etag = watched.json()["id"], watched.headers["etag"]

        writes: list[Write] = []
        stop = threading.Event()

        def write(config_id: str, name: str) -> None:
            with httpx.Client(base_url=instance.url, timeout=BOUND + 5) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    sent = time.monotonic()
                    try:
                        response = client.put(
                            f"{API}/configurations/{config_id}", json={"name": name, "config": {"n": n}}
                        )
                    except httpx.TimeoutException:
                        writes.append(Write(config_id, sent, None, None, None))
                        continue
                    answered = time.monotonic()
                    version = response.json()["version"] if response.status_code == 200 else None
                    writes.append(Write(config_id, sent, answered, response.status_code, version))
                    if response.status_code == 503:
                        time.sleep(0.05)

        held: dict[str, object] = {}

        def hold() -> None:
            with httpx.Client(base_url=instance.url, timeout=60) as client:
                held["response"] = client.get(
                    f"{API}/configurations/{watched_id}", headers={"If-None-Match": watched_etag, "Prefer": "wait=50"}
                )

        threads = [threading.Thread(target=write, args=(config_id, f"c{n}")) for n, config_id in enumerate(configs)]
        threads.append(threading.Thread(target=hold))
        for thread in threads:
            thread.start()
        time.sleep(2)
        cluster.primary.kill()
        killed = time.monotonic()
        time.sleep(1)  # what a failover manager takes to decide, at the least
        cluster.standby.promote()
        promoted = time.monotonic()
        with httpx.Client(base_url=instance.url, timeout=BOUND + 5) as client:
            deadline = time.monotonic() + 20
            while True:  # a change made after the failover, for the request held since before it
                changed = client.put(
                    f"{API}/configurations/{watched_id}", json={"name": "watched", "config": {"after": True}}
                )
                if changed.status_code == 200:
                    break
                assert time.monotonic() < deadline, changed.text
                time.sleep(0.1)
            time.sleep(3)
            stop.set()
            for thread in threads:
                thread.join(timeout=70)
            ready = client.get("/readyz")
    finally:
        stop.set()
        output = instance.stop()

    assert ready.status_code == 200, output[-2000:]
    assert all(w.answered is not None for w in writes), "a write got no answer"
    assert max(w.answered - w.sent for w in writes) < BOUND  # type: ignore[operator]
    assert {w.status for w in writes} <= {200, 503}
    acknowledged = [w for w in writes if w.status == 200]
    after = [w.answered for w in acknowledged if w.sent > promoted]
    assert after, "no write succeeded after the promotion"
    first_after = min(after) - promoted
    assert first_after < 10
    response = held["response"]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["etag"] == changed.headers["etag"]  # type: ignore[attr-defined]
    lost = [
        w
        for w in acknowledged
        if not cluster.standby.query(
            "SELECT 1 FROM configuration_revisions WHERE configuration_id = %s AND version = %s",
            (w.config_id, w.version),
        )
    ]
    unavailable = sum(w.status == 503 for w in writes)
    print(
        f"failover run {run}: {len(acknowledged)} acknowledged writes, {unavailable} answered 503, "
        f"lost {len(lost)}; killed → promoted {promoted - killed:.2f} s, promoted → first write "
        f"{first_after:.2f} s; slowest answer {max(w.answered - w.sent for w in writes):.2f} s"  # type: ignore[operator]
    )
    assert lost == []
