"""`make soak`: a bounded soak against make-run-style serving; prints `N acknowledged, M lost, K 5xx` last.

Mixed concurrent reads and writes, then proof that no acknowledged write is lost.

Each worker writes only the configurations it created, so "the last acknowledged content" of
every configuration is well defined; reads go anywhere.
"""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.ports import free_port

API = "/api/v1"


@dataclass
class SoakReport:
    requests: int = 0
    acknowledged: int = 0  # 2xx writes
    lost: int = 0  # acknowledged writes not found, or found with other content, at the end
    server_errors: int = 0  # 5xx responses
    transport_errors: int = 0  # no HTTP response at all
    unexpected: dict[int, int] = field(default_factory=dict)  # other non-2xx statuses

    @property
    def ok(self) -> bool:
        return not (self.lost or self.server_errors or self.transport_errors or self.unexpected)

    def summary(self) -> str:
        return f"{self.acknowledged} acknowledged, {self.lost} lost, {self.server_errors} 5xx"


@dataclass
class Worker:
    number: int
    application_id: str
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)  # config id -> last acknowledged body


async def soak(
    client: httpx.AsyncClient, *, seconds: float, concurrency: int, max_requests: int, seed: int = 1
) -> SoakReport:
    report = SoakReport()
    run = f"soak-{time.time_ns()}"
    setup = await client.post(f"{API}/applications", json={"name": run, "comments": "soak run"})
    setup.raise_for_status()
    application_id = setup.json()["id"]
    workers = [Worker(number, application_id) for number in range(concurrency)]
    readable: list[str] = []
    deadline = time.monotonic() + seconds
    budget = iter(range(max_requests))

    async def call(method: str, url: str, body: dict[str, Any] | None = None) -> httpx.Response | None:
        report.requests += 1
        try:
            response = await client.request(method, url, json=body)
        except httpx.TransportError:
            report.transport_errors += 1
            return None
        if response.status_code >= 500:
            report.server_errors += 1
        elif response.status_code >= 300:
            report.unexpected[response.status_code] = report.unexpected.get(response.status_code, 0) + 1
        return response

    async def work(worker: Worker) -> None:
        rng = random.Random(seed * 1000 + worker.number)
        sequence = 0
        while time.monotonic() < deadline and next(budget, None) is not None:
            sequence += 1
            roll = rng.random()
            if roll < 0.15 or not worker.expected:
                body = {
                    "application_id": application_id,
                    "name": f"w{worker.number}-c{sequence}",
                    "config": {"worker": worker.number, "sequence": sequence, "nested": {"flag": rng.random() < 0.5}},
                }
                response = await call("POST", f"{API}/configurations", body)
                if response is not None and response.status_code == 201:
                    report.acknowledged += 1
                    config_id = response.json()["id"]
                    worker.expected[config_id] = {"name": body["name"], "config": body["config"]}
                    readable.append(config_id)
            elif roll < 0.40:
                config_id = rng.choice(list(worker.expected))
                body = {
                    "name": worker.expected[config_id]["name"],
                    "comments": f"update {sequence}",
                    "config": {"worker": worker.number, "sequence": sequence, "values": list(range(sequence % 7))},
                }
                response = await call("PUT", f"{API}/configurations/{config_id}", body)
                if response is not None and response.status_code == 200:
                    report.acknowledged += 1
                    worker.expected[config_id] = {"name": body["name"], "config": body["config"]}
            elif roll < 0.80:
                await call("GET", f"{API}/configurations/{rng.choice(readable)}")
            elif roll < 0.90:
                await call("GET", f"{API}/applications/{application_id}")
            else:
                await call("GET", f"{API}/applications?limit=50")

    await asyncio.gather(*(work(worker) for worker in workers))
    report.lost = await _count_lost(client, workers)
    return report


async def _count_lost(client: httpx.AsyncClient, workers: list[Worker]) -> int:
    lost = 0
    for worker in workers:
        for config_id, expected in worker.expected.items():
            response = await client.get(f"{API}/configurations/{config_id}")
            if response.status_code != 200:
                lost += 1
                continue
            body = response.json()
            if {"name": body["name"], "config": body["config"]} != expected:
                lost += 1
    return lost


async def _wait_ready(client: httpx.AsyncClient, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before it was ready")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become ready")


async def _soak_server(base_url: str, server: subprocess.Popen, seconds: float, concurrency: int, max_requests: int):
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        await _wait_ready(client, server)
        return await soak(client, seconds=seconds, concurrency=concurrency, max_requests=max_requests)


def main() -> int:
    """`make soak`: serve like `make run` from an embedded database of its own, soak it, verify."""
    seconds = float(os.environ.get("SOAK_SECONDS", "60"))
    concurrency = int(os.environ.get("SOAK_CONCURRENCY", "16"))
    max_requests = int(os.environ.get("SOAK_MAX_REQUESTS", "200000"))
    data_dir = Path(os.environ.get("DATA_DIR", ".data")) / "soak"
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": "",
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    print(
        f"soak: {seconds:g} s, {concurrency} concurrent clients, at most {max_requests} requests, "
        f"against 127.0.0.1:{port} (embedded database in {data_dir})",
        flush=True,
    )
    server = subprocess.Popen([sys.executable, "-m", "scripts.run"], env=env)
    try:
        started = time.monotonic()
        report = asyncio.run(_soak_server(f"http://127.0.0.1:{port}", server, seconds, concurrency, max_requests))
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    print(
        f"soak: {report.requests} requests in {elapsed:.1f} s ({report.requests / elapsed:.0f}/s); "
        f"{report.transport_errors} transport errors; other statuses: {report.unexpected or 'none'}"
    )
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
