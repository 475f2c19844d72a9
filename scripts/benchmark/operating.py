"""What operating features cost GET configuration: each variant is a service of its own, all started
fresh for this section (the service measured above has served every other scenario by now, and a
comparison with it measures that history as much as the feature), measured interleaved round by
round, each run with the workers' CPU time per request beside its throughput."""

import signal
import statistics
from functools import partial

from scripts.benchmark.processes import worker_cpu_seconds
from scripts.benchmark.service import BenchSettings, start_service, warm_up_seconds
from scripts.benchmark.tools import Measurement, run_wrk, with_worker_cpu
from scripts.benchmark.workloads import lua_script, scenarios
from scripts.ports import free_port

REFERENCE = "metrics off"
VARIANTS = {
    "metrics on (as served)": {},
    REFERENCE: {"METRICS_ENABLED": "false"},
    "JSON access log on": {"LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json"},
}


def operating_section(url: str, settings: BenchSettings) -> dict[str, list[Measurement]]:
    """GET configuration on each variant, `settings.cost_rounds` rounds, interleaved, the order
    rotated from round to round so that no variant always runs first, or after the same one."""
    get = next(s for s in scenarios(settings.applications, settings.configurations) if s.name == "get_configuration")
    ports = {name: free_port() for name in VARIANTS}
    started = {
        name: start_service(url, settings, ports[name], quiet=True, **overrides) for name, overrides in VARIANTS.items()
    }
    results: dict[str, list[Measurement]] = {name: [] for name in VARIANTS}
    try:
        for name in VARIANTS:
            run_wrk(
                f"http://127.0.0.1:{ports[name]}",
                lua_script(get, "warm-up"),
                seconds=warm_up_seconds(get, settings),
                connections=settings.connections,
            )
        for round_number in range(settings.cost_rounds):
            names = list(started)
            shift = round_number % len(names)  # each variant takes each place in the round in turn
            for name in names[shift:] + names[:shift]:
                server = started[name]
                script = lua_script(get, f"operating-{round_number}")
                target = f"http://127.0.0.1:{ports[name]}"
                results[name].append(
                    with_worker_cpu(
                        partial(worker_cpu_seconds, server.pid),
                        settings.seconds,
                        partial(run_wrk, target, script, seconds=settings.seconds, connections=settings.connections),
                    )
                )
    finally:
        for server in started.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    return results


def operating_lines(results: dict[str, list[Measurement]]) -> list[str]:
    """Each variant's median throughput and CPU per request, against metrics off."""
    rps = {name: statistics.median(m.requests_per_second for m in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(m.worker_cpu_us or 0.0 for m in runs) for name, runs in results.items()}
    lines = []
    for name in results:
        p99 = statistics.median(m.p99_ms for m in results[name])
        lines.append(
            f"operating: GET configuration, {name}: {rps[name]:,.0f} req/s ({rps[name] / rps[REFERENCE] - 1:+.1%} vs "
            f"{REFERENCE}), workers' CPU {cpu[name]:.0f} us per request ({cpu[name] / cpu[REFERENCE] - 1:+.1%}), "
            f"p99 {p99:.1f} ms ({len(results[name])} rounds, medians)"
        )
    return lines
