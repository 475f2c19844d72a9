"""What operating features cost GET configuration: each variant is a service of its own, all started
fresh for this section (the service measured above has served every other scenario by now, and a
comparison with it measures that history as much as the feature), measured interleaved round by
round, each run with the workers' CPU time per request beside its throughput.

Two runs of this section on the same code put metrics on at -10.6% and at +6.7% against metrics
off, with the services started in opposite orders; so half the rounds run with the services
started in one order and half after a restart in the reverse order (metrics on and metrics off
take the first and last places once each). A third run so measured -10.3%: on this machine the
section does not resolve a difference of a few per cent."""

import signal
import statistics
from functools import partial

from scripts.benchmark.processes import worker_cpu_seconds
from scripts.benchmark.service import BenchSettings, start_service, warm_up_seconds
from scripts.benchmark.tools import Measurement, run_wrk
from scripts.benchmark.workloads import Scenario, lua_script, scenarios
from scripts.ports import free_port

REFERENCE = "metrics off"
VARIANTS = {
    "metrics on (as served)": {},
    "JSON access log on": {"LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json"},
    REFERENCE: {"METRICS_ENABLED": "false"},
}


def operating_section(url: str, settings: BenchSettings) -> dict[str, list[Measurement]]:
    """GET configuration on each variant, `settings.cost_rounds` rounds over two starts of the
    services in opposite orders, interleaved, the order rotated from round to round."""
    get = next(s for s in scenarios(settings.applications, settings.configurations) if s.name == "get_configuration")
    results: dict[str, list[Measurement]] = {name: [] for name in VARIANTS}
    first_half = (settings.cost_rounds + 1) // 2
    for order, rounds in ((list(VARIANTS), first_half), (list(reversed(VARIANTS)), settings.cost_rounds - first_half)):
        if rounds:
            _measure(url, settings, get, order, rounds, results)
    return results


def _measure(
    url: str,
    settings: BenchSettings,
    get: Scenario,
    order: list[str],
    rounds: int,
    results: dict[str, list[Measurement]],
) -> None:
    """Start the variants in `order`, warm each up, then `rounds` rounds, rotated; stop them."""
    ports = {name: free_port() for name in order}
    started = {name: start_service(url, settings, ports[name], quiet=True, **VARIANTS[name]) for name in order}
    try:
        for name in order:
            run_wrk(
                f"http://127.0.0.1:{ports[name]}",
                lua_script(get, "warm-up"),
                seconds=warm_up_seconds(get, settings),
                connections=settings.connections,
            )
        for round_number in range(rounds):
            shift = round_number % len(order)  # each variant takes each place in the round in turn
            for name in order[shift:] + order[:shift]:
                script = lua_script(get, f"operating-{len(results[name])}")
                target = f"http://127.0.0.1:{ports[name]}"
                cpu = partial(worker_cpu_seconds, started[name].pid)
                results[name].append(
                    run_wrk(target, script, seconds=settings.seconds, connections=settings.connections, cpu_seconds=cpu)
                )
    finally:
        for server in started.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


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
