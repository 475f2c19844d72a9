"""Variants of the service measured against each other in the same rounds (the operating and trust
sections): each variant a service of its own, started fresh with its own settings; warmed up; then
`settings.cost_rounds` rounds, the order rotated one place each round, and half of them after a
restart in the reverse order; each measured run with the workers' CPU time per request."""

import signal
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from scripts.benchmark.processes import worker_cpu_seconds
from scripts.benchmark.service import BenchSettings, start_service, warm_up_seconds
from scripts.benchmark.tools import Measurement, run_wrk
from scripts.benchmark.workloads import Scenario, lua_script
from scripts.ports import free_port


@dataclass(frozen=True)
class Variant:
    environment: dict[str, str]  # settings over the bench's own (service.py)
    scenario: Scenario
    before: Scenario | None = None  # run (not recorded) on the same service before each measured run
    source: Path | None = None  # served from this copy of the source tree (None: this one)


def measure_variants(
    url: str, settings: BenchSettings, variants: dict[str, Variant], *, label: str
) -> dict[str, list[Measurement]]:
    """Each variant's measured runs, in the order of `variants` for the first start."""
    results: dict[str, list[Measurement]] = {name: [] for name in variants}
    first_half = (settings.cost_rounds + 1) // 2
    order = list(variants)
    for started_order, rounds in ((order, first_half), (order[::-1], settings.cost_rounds - first_half)):
        if rounds:
            _measure(url, settings, variants, started_order, rounds, results, label)
    return results


def _measure(
    url: str,
    settings: BenchSettings,
    variants: dict[str, Variant],
    order: list[str],
    rounds: int,
    results: dict[str, list[Measurement]],
    label: str,
) -> None:
    """Start the variants in `order`, warm each up, then `rounds` rounds, rotated; stop them."""
    ports = {name: free_port() for name in order}
    started = {
        name: start_service(
            url, settings, ports[name], quiet=True, source=variants[name].source, **variants[name].environment
        )
        for name in order
    }
    try:
        for name in order:
            warm = variants[name].before or variants[name].scenario
            run_wrk(
                f"http://127.0.0.1:{ports[name]}",
                lua_script(warm, "warm-up"),
                seconds=warm_up_seconds(warm, settings),
                connections=settings.connections,
            )
        for round_number in range(rounds):
            shift = round_number % len(order)  # each variant moves one place earlier each round
            for name in order[shift:] + order[:shift]:
                variant, target = variants[name], f"http://127.0.0.1:{ports[name]}"
                token = f"{label}-{name}-{len(results[name])}".replace(" ", "-")
                if variant.before is not None:
                    before = lua_script(variant.before, token + "-before")
                    run_wrk(target, before, seconds=settings.seconds, connections=settings.connections)
                cpu = partial(worker_cpu_seconds, started[name].pid)
                script = lua_script(variant.scenario, token)
                results[name].append(
                    run_wrk(target, script, seconds=settings.seconds, connections=settings.connections, cpu_seconds=cpu)
                )
    finally:
        for server in started.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
