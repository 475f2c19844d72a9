"""`make bench`'s watch section, run after the throughput rounds:

1. 1,000 held requests over both workers (one per configuration), a writer PUTting those
   configurations: the delay from each 2xx to the held response, and the same for writes whose
   notification is lost (SQL with triggers off: only the reconcile finds them); worker RSS.
2. PUT throughput with the watchers held and without, interleaved: PUTs over all configurations
   (the PUT scenario's workload), and PUTs on the watched ones only (each wakes a held request,
   whose answer and next request the service then serves too); the workers' CPU per PUT beside.
3. One process (a second service, WORKERS=1) holding 10,000 requests: its RSS per held request,
   and GET configuration's p99 while they are held against an idle run.
"""

import asyncio
import json
import statistics
from dataclasses import asdict
from functools import partial

from scripts.benchmark.processes import worker_cpu_seconds, worker_memory_mb
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


# The PUT workloads measured with watching on and off: key -> (what it is, what it is read against).
# The target's workload is the PUT scenario's; the watched-only one is the worst case, where every
# write also delivers a change (a held response and the client's next request to serve).
PUT_WORKLOADS = {
    "all": ("PUT over all configurations", "target: a drop of no more than 10%"),
    "watched": (
        "PUT on the watched configurations only (every write wakes a held request)",
        "the worst case, not the target's workload",
    ),
}


async def put_on_and_off(
    port: int, server_pid: int, count: int, configurations: int, *, rounds: int, seconds: float, connections: int
) -> dict[str, list[Measurement]]:
    """PUT throughput (and the workers' CPU per PUT) with `count` requests held and with none,
    interleaved round by round, for each of PUT_WORKLOADS: "<workload> off" and "<workload> on"."""
    chosen = {"all": put_watched(configurations), "watched": put_watched(count)}
    results: dict[str, list[Measurement]] = {f"{w} {mode}": [] for w in chosen for mode in ("off", "on")}
    for round_number in range(rounds):
        for workload, scenario in chosen.items():
            for mode in ("off", "on") if round_number % 2 == 0 else ("on", "off"):
                watchers = Watchers(HOST, port, paths(count), count) if mode == "on" else None
                if watchers is not None:
                    await watchers.start()
                    await watchers.wait_held()
                try:
                    script = lua_script(scenario, f"watch-{workload}-{mode}-{round_number}")
                    measured = await asyncio.to_thread(
                        run_wrk,
                        f"http://{HOST}:{port}",
                        script,
                        seconds=seconds,
                        connections=connections,
                        cpu_seconds=partial(worker_cpu_seconds, server_pid),
                    )
                    results[f"{workload} {mode}"].append(measured)
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


def put_lines(puts: dict[str, list[Measurement]], configurations: int, held: int) -> list[str]:
    lines = []
    for workload, (what, against) in PUT_WORKLOADS.items():
        off, on = puts[f"{workload} off"], puts[f"{workload} on"]
        rps_off = statistics.median(m.requests_per_second for m in off)
        rps_on = statistics.median(m.requests_per_second for m in on)
        cpu_off = statistics.median(m.worker_cpu_us or 0.0 for m in off)
        cpu_on = statistics.median(m.worker_cpu_us or 0.0 for m in on)
        scope = f" ({configurations:,})" if workload == "all" else f" ({held:,})"
        lines.append(
            f"watch: {what}{scope}, {held:,} held vs none: {rps_on:,.0f} vs {rps_off:,.0f} req/s "
            f"({(rps_on / rps_off - 1) * 100:+.1f}%; {against}), workers' CPU "
            f"{cpu_on:.0f} vs {cpu_off:.0f} us per PUT ({cpu_on - cpu_off:+.0f} us; {len(on)} rounds, medians)"
        )
    return lines


def summary(report: WatchReport, puts: dict[str, list[Measurement]], single: dict, *, configurations: int) -> list[str]:
    idle, busy = single["get_idle"], single["get_held"]
    return [
        *report.lines(),
        *put_lines(puts, configurations, report.held),
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
