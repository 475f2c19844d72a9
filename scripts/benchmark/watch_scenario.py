"""`make bench`'s watch section, run after the throughput rounds:

1. 1,000 held requests over both workers (one per configuration), a writer PUTting those
   configurations: the delay from each 2xx to the held response, and the same for writes whose
   notification is lost (SQL with triggers off: only the reconcile finds them); worker RSS.
2. PUT throughput on those configurations with the watchers on and off, interleaved.
3. One process (a second service, WORKERS=1) holding 10,000 requests: its RSS per held request,
   and GET configuration's p99 while they are held against an idle run.
"""

import asyncio
import json
import statistics
from dataclasses import asdict

from scripts.benchmark.processes import worker_memory_mb
from scripts.benchmark.tools import Measurement, run_wrk
from scripts.benchmark.watching import Watchers, WatchReport, measure_delays, sql_writes
from scripts.benchmark.workloads import CONFIG_BODY, CONFIG_PREFIX, Scenario, lua_script

HOST = "127.0.0.1"


def paths(count: int) -> list[str]:
    return [f"/api/v1/configurations/{CONFIG_PREFIX}{n:016d}" for n in range(1, count + 1)]


def put_body(path: str) -> bytes:
    n = int(path[-16:])
    return f'{{"name":"config-{n}","config":{CONFIG_BODY}}}'.encode()


def put_watched(configurations: int) -> Scenario:
    """PUTs spread over the first `configurations` configurations: the watched ones."""
    return Scenario(
        "put_watched",
        "PUT (watched configurations)",
        "request = function()\n"
        f"  local n = math.random(1, {configurations})\n"
        f'  local body = string.format(\'{{"name":"config-%d","config":{CONFIG_BODY}}}\', n)\n'
        f"  return wrk.format('PUT', string.format('/api/v1/configurations/{CONFIG_PREFIX}%016d', n), "
        "{['Content-Type'] = 'application/json'}, body)\nend\n",
        "put",
    )


async def delays_and_memory(port: int, url: str, server_pid: int, count: int) -> WatchReport:
    watched = paths(count)
    idle = worker_memory_mb(server_pid)
    watchers = Watchers(HOST, port, watched, count)
    await watchers.start()
    try:
        if not await watchers.wait_held():
            raise SystemExit(f"bench: only {watchers.held} of {count} requests were held")
        held = worker_memory_mb(server_pid)
        delays = await measure_delays(
            HOST, port, watchers, watched, {p: put_body(p) for p in watched}, writes=300, gap=0.01
        )
        lost = await sql_writes(url, watched, writes=20, gap=0.05, watchers=watchers)
    finally:
        await watchers.stop()
    return WatchReport(count, delays, lost, idle, held)


async def put_on_and_off(
    port: int, count: int, *, rounds: int, seconds: float, connections: int
) -> dict[str, list[Measurement]]:
    scenario = put_watched(count)
    results: dict[str, list[Measurement]] = {"off": [], "on": []}
    for round_number in range(rounds):
        for mode in ("off", "on"):
            watchers = Watchers(HOST, port, paths(count), count) if mode == "on" else None
            if watchers is not None:
                await watchers.start()
                await watchers.wait_held()
            try:
                script = lua_script(scenario, f"watch-{mode}-{round_number}")
                results[mode].append(
                    await asyncio.to_thread(
                        run_wrk, f"http://{HOST}:{port}", script, seconds=seconds, connections=connections
                    )
                )
            finally:
                if watchers is not None:
                    await watchers.stop()
    return results


async def one_process(
    port: int, server_pid: int, held: int, get: Scenario, *, seconds: float, connections: int
) -> dict:
    base = f"http://{HOST}:{port}"
    idle_rss = worker_memory_mb(server_pid)
    idle = await asyncio.to_thread(run_wrk, base, lua_script(get, "idle"), seconds=seconds, connections=connections)
    watchers = Watchers(HOST, port, paths(1000), held)
    await watchers.start()
    try:
        all_held = await watchers.wait_held(120)
        held_rss = worker_memory_mb(server_pid)
        busy = await asyncio.to_thread(run_wrk, base, lua_script(get, "held"), seconds=seconds, connections=connections)
    finally:
        await watchers.stop()
    per_held_kb = (held_rss[0] - idle_rss[0]) * 1024 / held if idle_rss and held_rss else 0.0
    return {
        "held": held if all_held else watchers.held,
        "rss_idle_mb": idle_rss,
        "rss_held_mb": held_rss,
        "kb_per_held": round(per_held_kb, 2),
        "get_idle": asdict(idle),
        "get_held": asdict(busy),
        "errors": watchers.arrivals.errors,
    }


def summary(report: WatchReport, puts: dict[str, list[Measurement]], single: dict) -> list[str]:
    off = statistics.median(m.requests_per_second for m in puts["off"])
    on = statistics.median(m.requests_per_second for m in puts["on"])
    idle, busy = single["get_idle"], single["get_held"]
    return [
        *report.lines(),
        f"watch: PUT on the watched configurations, watching off {off:,.0f} req/s, on {on:,.0f} req/s "
        f"({(on / off - 1) * 100:+.1f}%; target: a drop of no more than 10%)",
        f"watch: one process holding {single['held']:,}: RSS {single['rss_idle_mb']} -> {single['rss_held_mb']} MB, "
        f"{single['kb_per_held']} KB per held request (goal ≤ 10); GET configuration p99 {idle['p99_ms']:.1f} ms idle, "
        f"{busy['p99_ms']:.1f} ms while held ({busy['p99_ms'] / idle['p99_ms']:.2f}x; target ≤ 2x), "
        f"{busy['requests_per_second']:,.0f} req/s, {busy['errors'] + single['errors']} errors",
    ]


def as_json(report: WatchReport, puts: dict[str, list[Measurement]], single: dict) -> dict:
    return json.loads(
        json.dumps(
            {
                "watch": asdict(report),
                "put_on_off": {k: [asdict(m) for m in v] for k, v in puts.items()},
                "one_process": single,
            }
        )
    )
