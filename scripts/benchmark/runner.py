"""`make bench`: the service in serve mode against an embedded PostgreSQL 16, measured with wrk,
interleaved round by round (A B A B ...) with its baselines: the no-database ceiling (/healthz
through the same stack) and etcd, the peer a user would pick instead, holding the same documents."""

import asyncio
import json
import os
import platform
import signal
import statistics
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import partial

from configsvc.embedded_postgres import embedded_postgres
from scripts.benchmark import watch_scenario
from scripts.benchmark.etcd import Etcd, require_etcd
from scripts.benchmark.operating import metrics_cost, operating_lines, operating_section
from scripts.benchmark.processes import worker_cpu_seconds, worker_memory_mb
from scripts.benchmark.report import format_table, summarise
from scripts.benchmark.schema_cost import schema_cost, schema_lines, schema_section
from scripts.benchmark.service import (
    BenchSettings,
    documents,
    prepare_database,
    start_service,
    warm_up_seconds,
)
from scripts.benchmark.tools import Measurement, require_wrk, run_wrk
from scripts.benchmark.trust_cost import Measured, trust_lines, trust_section
from scripts.benchmark.trust_cost import as_json as trust_json
from scripts.benchmark.workloads import CEILING, Scenario, etcd_put, etcd_range, lua_script, scenarios
from scripts.ports import free_port


def watch_section(url: str, settings: BenchSettings, port: int, server_pid: int) -> tuple:
    """The watch measurements (see watch_scenario.py): on the service, then on one process of its own."""
    print(
        f"bench: watch section, {settings.watchers} held requests, then {settings.held_in_one_process} in one process",
        flush=True,
    )
    report = asyncio.run(watch_scenario.delays_and_memory(port, url, server_pid, settings.watchers))
    puts = asyncio.run(
        watch_scenario.put_on_and_off(
            port,
            server_pid,
            settings.watchers,
            settings.configurations,
            rounds=settings.cost_rounds,
            seconds=settings.seconds,
            connections=settings.connections,
        )
    )
    single_port = free_port()
    single = start_service(url, replace(settings, workers=1), single_port)
    try:
        get = next(
            s for s in scenarios(settings.applications, settings.configurations) if s.name == "get_configuration"
        )
        measure = watch_scenario.one_process(
            single_port,
            single.pid,
            settings.held_in_one_process,
            get,
            seconds=settings.seconds,
            connections=settings.connections,
        )
        one = asyncio.run(measure)
    finally:
        single.send_signal(signal.SIGTERM)
        single.wait(timeout=60)
    return report, puts, one


def by_name_against_by_id(results: dict[str, list[Measurement]]) -> str | None:
    """GET by name against GET by id, per round (the two ran in the same rounds), medians."""
    by_id, by_name = results.get("get_configuration"), results.get("get_configuration_by_name")
    if not by_id or not by_name:
        return None
    throughput = statistics.median(
        n.requests_per_second / i.requests_per_second for i, n in zip(by_id, by_name, strict=True)
    )
    p99 = statistics.median(n.p99_ms / i.p99_ms for i, n in zip(by_id, by_name, strict=True))
    return f"GET by name against by id, per round, medians: throughput {throughput:.2f}x, p99 {p99:.2f}x"


def main() -> int:
    settings = BenchSettings.from_environment()
    require_wrk()
    require_etcd()
    out_dir = settings.data_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = scenarios(settings.applications, settings.configurations)
    plan = [scenario for scenario in plan if scenario.name in settings.only or not settings.only]
    baselines = {"range": etcd_range(settings.configurations), "put": etcd_put(settings.configurations)}
    peers = [baselines[kind] for kind in baselines if any(scenario.peer == kind for scenario in plan)]
    results: dict[str, list[Measurement]] = {name: [] for name in [CEILING.name] + [s.name for s in peers + plan]}
    watch: tuple | None = None
    operating: dict[str, list[Measurement]] | None = None
    schemas: dict[str, list[Measurement]] | None = None
    trust: Measured | None = None
    memory: list[list[float]] = []
    print(
        f"bench: {settings.rounds} rounds of {settings.seconds:g} s per run, wrk -t1 -c{settings.connections}, "
        f"{settings.workers} workers x {settings.pool_size} connections, "
        f"{settings.applications} applications, {settings.configurations} configurations",
        flush=True,
    )
    with embedded_postgres(out_dir / "database") as server_url:
        url = prepare_database(server_url, settings)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_service(url, settings, port)
        etcd = Etcd(out_dir / "etcd")
        try:
            loaded = etcd.load(documents(url))
            print(f"bench: etcd {etcd.url} holds the same {loaded} documents", flush=True)

            def measure(scenario: Scenario, token: str, seconds: float) -> Measurement:
                target = etcd.url if scenario in peers else base
                return run_wrk(target, lua_script(scenario, token), seconds=seconds, connections=settings.connections)

            # Warm-up (not recorded): imports, connections, plans, and the caches (a service in use has
            # them warm, as etcd has its keys in memory).
            for warm_up in (CEILING, *peers, *plan):
                measure(warm_up, "warm-up", warm_up_seconds(warm_up, settings))
            for round_number in range(1, settings.rounds + 1):
                memory.append(worker_memory_mb(server.pid))
                for scenario in (CEILING, *peers, *plan):
                    results[scenario.name].append(measure(scenario, f"r{round_number}", settings.seconds))
                print(f"bench: round {round_number}/{settings.rounds} done", flush=True)
            memory.append(worker_memory_mb(server.pid))
            if not settings.only or "schema" in settings.only:

                def measure_cpu(scenario: Scenario, token: str, seconds: float) -> Measurement:
                    cpu = partial(worker_cpu_seconds, server.pid)
                    script = lua_script(scenario, token)
                    return run_wrk(base, script, seconds=seconds, connections=settings.connections, cpu_seconds=cpu)

                schemas = schema_section(measure_cpu, settings.configurations, settings.cost_rounds, settings.seconds)
                print("\n".join(schema_lines(schemas)), flush=True)
            if not settings.only or "trust" in settings.only:
                trust = trust_section(url, settings)
                print("\n".join(trust_lines(trust)), flush=True)
            if not settings.only or "operating" in settings.only:
                operating = operating_section(url, settings)
                print("\n".join(operating_lines(operating)), flush=True)
            if not settings.only or "watch" in settings.only:
                watch = watch_section(url, settings, port, server.pid)
                print("\n".join(watch_scenario.summary(*watch, configurations=settings.configurations)), flush=True)
        finally:
            etcd.stop()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    rows = summarise(results, CEILING, peers, plan)
    table = format_table(rows)
    print()
    print(table)
    by_name_line = by_name_against_by_id(results)
    if by_name_line:
        print(by_name_line)
    print(f"worker RSS (MB) at each round start and at the end: {memory}")
    if schemas:
        print("\n".join(schema_lines(schemas)))
    if trust:
        print("\n".join(trust_lines(trust)))
    if operating:
        print("\n".join(operating_lines(operating)))
    if watch:
        print("\n".join(watch_scenario.summary(*watch, configurations=settings.configurations)))
    report = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": asdict(settings) | {"data_dir": str(settings.data_dir)},
        "rows": [asdict(row) for row in rows],
        "runs": {name: [asdict(m) for m in measurements] for name, measurements in results.items()},
        "worker_rss_mb": memory,
        "table": table,
        "watch": watch_scenario.as_json(*watch) if watch else None,
        "operating": {name: [asdict(m) for m in runs] for name, runs in operating.items()} if operating else None,
        "operating_summary": asdict(metrics_cost(operating)) if operating else None,
        "schema": {name: [asdict(m) for m in runs] for name, runs in schemas.items()} if schemas else None,
        "schema_summary": asdict(schema_cost(schemas)) if schemas else None,
        "trust": trust_json(trust) if trust else None,
    }
    path = out_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2))
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"bench: written to {path}")
    return 0
