"""Concurrent clients against running instances of the service, recording a history for
`test/linearizability.py`: writers PUT configurations, readers GET them every way the service can
be read (by id, HEAD, by name, the application's collection, the application itself, the list of
applications), watchers hold conditional GETs. Every request goes to the next instance in turn, on a new connection (so the
kernel hands requests to every worker), and every client is sequential: it sends a request only
once the previous one was answered.

The clients run in processes of their own (a Python process alone would be the bottleneck); their
clocks are one (time.monotonic is the machine's CLOCK_MONOTONIC).
"""

import asyncio
import json
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import httpx
import psycopg2
from psycopg2 import sql

from test.linearizability import Operation

API = "/api/v1"
# Temporary tables a late writer drops at commit: a window of some tens of milliseconds (late_signals.py).
LATE_TEMPORARY_TABLES = 1500
READS = ("get", "get", "get", "head", "by_name", "by_name", "collection", "application", "list")


@dataclass(frozen=True)
class Target:
    """What the clients work on: one application and its configurations (id -> name)."""

    application_id: str
    application_name: str
    configurations: dict[str, str]
    initial: dict[str, int] = field(default_factory=dict)  # each key's version (and seq) at the start

    @property
    def seq_key(self) -> str:
        return f"seq:{self.application_id}"


@dataclass(frozen=True)
class Mix:
    writers: int = 4
    readers: int = 6
    watchers: int = 2
    reads: tuple[str, ...] = READS  # what a reader picks from, uniformly
    processes: int = 3
    # Writers that UPDATE by SQL in a transaction whose notification PostgreSQL signals late
    # (test/late_signals.py): the window of issue 31, opened on every such write. Needs `database_url`.
    late_writers: int = 0
    database_url: str = ""


def prepare(url: str, name: str, count: int = 12) -> Target:
    """An application with `count` configurations, created through `url`."""
    with httpx.Client(base_url=url, timeout=30) as client:
        application = client.post(f"{API}/applications", json={"name": name}).raise_for_status().json()
        configurations = {}
        for n in range(count):
            created = client.post(
                f"{API}/configurations", json={"application_id": application["id"], "name": f"c{n}"}
            ).raise_for_status()
            configurations[created.json()["id"]] = f"c{n}"
        seq = client.get(f"{API}/applications/{application['id']}").raise_for_status().json()["seq"]
    target = Target(application["id"], name, configurations)
    return Target(
        target.application_id,
        name,
        configurations,
        dict.fromkeys(configurations, 1) | {target.seq_key: seq},
    )


def run(urls: list[str], target: Target, *, seconds: float, seed: int, mix: Mix = Mix()) -> list[Operation]:
    """Run the mix for `seconds` against `urls` and return every operation."""
    roles = ["writer"] * mix.writers + ["reader"] * mix.readers + ["watcher"] * mix.watchers
    roles += ["late_writer"] * mix.late_writers
    shares: list[list[tuple[str, int]]] = [[] for _ in range(mix.processes)]
    for n, role in enumerate(roles):
        shares[n % mix.processes].append((role, n))
    start = time.monotonic() + 3  # time for the processes to start: then all clients begin together
    with ProcessPoolExecutor(mix.processes, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_process, share, urls, target, start, start + seconds, seed, mix) for share in shares]
        return [operation for future in futures for operation in future.result()]


def _process(
    share: list[tuple[str, int]],
    urls: list[str],
    target: Target,
    start: float,
    deadline: float,
    seed: int,
    mix: Mix,
) -> list[Operation]:
    return asyncio.run(_clients(share, urls, target, start, deadline, seed, mix))


async def _clients(
    share: list[tuple[str, int]],
    urls: list[str],
    target: Target,
    start: float,
    deadline: float,
    seed: int,
    mix: Mix,
) -> list[Operation]:
    history: list[Operation] = []
    clients = [
        httpx.AsyncClient(
            base_url=url,
            timeout=httpx.Timeout(20),
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"Connection": "close"},
        )
        for url in urls
    ]
    roles = {"writer": _writer, "reader": _reader, "watcher": _watcher, "late_writer": _late_writer}
    try:
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        await asyncio.gather(
            *(
                roles[role](
                    Client(clients, random.Random(seed * 1000 + n), f"{role}{n}", history, mix), target, deadline
                )
                for role, n in share
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    return history


@dataclass
class Client:
    """One sequential client: the instances it alternates between, its own random choices."""

    instances: list[httpx.AsyncClient]
    rng: random.Random
    name: str
    history: list[Operation]
    mix: Mix
    sent: int = 0

    def next_instance(self) -> tuple[httpx.AsyncClient, str]:
        self.sent += 1
        index = self.sent % len(self.instances)
        return self.instances[index], f"{self.name}@{index}"

    async def request(self, method: str, path: str, **kwargs) -> tuple[float, float | None, httpx.Response | None, str]:
        """Send it to the next instance; a read that gets no usable answer is recorded as such."""
        instance, where = self.next_instance()
        sent = time.monotonic()
        try:
            response = await instance.request(method, path, **kwargs)
        except httpx.HTTPError:
            response = None
        answered = time.monotonic()
        if method != "PUT" and (response is None or response.status_code not in (200, 304)):
            self.history.append(Operation("-", "read", sent, None, None, f"{method} {path} {where}: unanswered"))
        return sent, answered, response, where


def etag_version(response: httpx.Response) -> int:
    return int(response.headers["etag"].strip('"'))


async def _writer(client: Client, target: Target, deadline: float) -> None:
    ids = sorted(target.configurations)
    while time.monotonic() < deadline:
        id = client.rng.choice(ids)
        body = {"name": target.configurations[id], "config": {"by": client.name, "n": client.sent}}
        sent, answered, response, where = await client.request("PUT", f"{API}/configurations/{id}", json=body)
        if response is not None and response.status_code == 200:
            client.history.append(Operation(id, "write", sent, answered, response.json()["version"], f"PUT {where}"))
        else:  # no answer, or one that does not say whether it was written
            client.history.append(Operation(id, "write", sent, None, None, f"PUT {where}"))
        # Every write of a configuration moves its application's seq by one, by an amount unknown here.
        client.history.append(Operation(target.seq_key, "write", sent, None, None, f"PUT {where}"))


async def _reader(client: Client, target: Target, deadline: float) -> None:
    ids = sorted(target.configurations)
    while time.monotonic() < deadline:
        id = client.rng.choice(ids)
        how = client.rng.choice(client.mix.reads)
        if how == "get":
            sent, answered, response, where = await client.request("GET", f"{API}/configurations/{id}")
            if response is not None and response.status_code == 200:
                client.history.append(Operation(id, "read", sent, answered, response.json()["version"], f"GET {where}"))
        elif how == "head":
            sent, answered, response, where = await client.request("HEAD", f"{API}/configurations/{id}")
            if response is not None and response.status_code == 200:
                client.history.append(Operation(id, "read", sent, answered, etag_version(response), f"HEAD {where}"))
        elif how == "by_name":
            params = {"application": target.application_name, "name": target.configurations[id]}
            sent, answered, response, where = await client.request(
                "GET", f"{API}/configurations/by-name", params=params
            )
            if response is not None and response.status_code == 200:
                version = response.json()["version"]
                assert version == etag_version(response), response.headers
                client.history.append(Operation(id, "read", sent, answered, version, f"by-name {where}"))
        elif how == "collection":
            sent, answered, response, where = await client.request(
                "GET", f"{API}/applications/{target.application_id}/configurations", params={"limit": 100}
            )
            if response is not None and response.status_code == 200:
                for item in response.json():
                    client.history.append(
                        Operation(item["id"], "read", sent, answered, item["version"], f"collection {where}")
                    )
                client.history.append(
                    Operation(target.seq_key, "read", sent, answered, etag_version(response), f"collection {where}")
                )
        elif how == "list":  # a page assembled from its parts when they are cached: by name, or the first
            params = {"name": target.application_name} if client.rng.random() < 0.5 else {"limit": 100}
            sent, answered, response, where = await client.request("GET", f"{API}/applications", params=params)
            if response is not None and response.status_code == 200:
                for item in response.json():
                    if item["id"] == target.application_id:
                        seq = item["seq"]
                        client.history.append(Operation(target.seq_key, "read", sent, answered, seq, f"list {where}"))
        else:
            sent, answered, response, where = await client.request("GET", f"{API}/applications/{target.application_id}")
            if response is not None and response.status_code == 200:
                seq = response.json()["seq"]
                client.history.append(Operation(target.seq_key, "read", sent, answered, seq, f"application {where}"))


async def _watcher(client: Client, target: Target, deadline: float) -> None:
    """Holds conditional GETs (by id and by name) with the last ETag it saw of each configuration: a
    200 is a read of the new version, a 304 a read of the version it sent."""
    ids = sorted(target.configurations)
    etags: dict[str, str] = {}
    while time.monotonic() < deadline:
        id = client.rng.choice(ids)
        by_name = client.rng.random() < 0.5
        path = f"{API}/configurations/by-name" if by_name else f"{API}/configurations/{id}"
        params = {"application": target.application_name, "name": target.configurations[id]} if by_name else None
        headers = {"If-None-Match": etags[id], "Prefer": "wait=1"} if id in etags else {}
        sent, answered, response, where = await client.request("GET", path, params=params, headers=headers)
        what = f"watch {'by-name ' if by_name else ''}{where}"
        if response is None:
            continue
        if response.status_code == 200:
            version = json.loads(response.content)["version"]
            if id in etags:
                assert response.headers["etag"] != etags[id], "a held request woke without a change"
            etags[id] = response.headers["etag"]
            client.history.append(Operation(id, "read", sent, answered, version, what))
        elif response.status_code == 304:
            client.history.append(Operation(id, "read", sent, answered, etag_version(response), what))


async def _late_writer(client: Client, target: Target, deadline: float) -> None:
    """UPDATEs a configuration by SQL in a transaction that drops temporary tables at commit: its
    new version is visible to every reader some milliseconds before any listener is signalled."""
    ids = sorted(target.configurations)
    update = "UPDATE configurations SET version = version + 1, config = %s WHERE id = %s RETURNING version"
    while time.monotonic() < deadline:
        id = client.rng.choice(ids)
        sent = time.monotonic()
        version = await asyncio.to_thread(
            _write_late, client.mix.database_url, update, (json.dumps({"late": True}), id)
        )
        client.history.append(Operation(id, "write", sent, time.monotonic(), version, f"late SQL {client.name}"))
        client.history.append(Operation(target.seq_key, "write", sent, None, None, f"late SQL {client.name}"))


def _write_late(dsn: str, update: str, params: tuple) -> int:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cursor:
            for n in range(LATE_TEMPORARY_TABLES):
                cursor.execute(
                    sql.SQL("CREATE TEMPORARY TABLE {} (x int) ON COMMIT DROP").format(sql.Identifier(f"late_{n}"))
                )
            cursor.execute(update, params)
            version = cursor.fetchone()[0]
        conn.commit()
        return version
    finally:
        conn.close()
