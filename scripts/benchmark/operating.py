"""What operating features cost GET configuration: each variant is a service of its own beside the
measured one (metrics on, no access log), measured interleaved round by round."""

import signal
import statistics

from scripts.benchmark.service import BenchSettings, start_service, warm_up_seconds
from scripts.benchmark.tools import Measurement, run_wrk
from scripts.benchmark.workloads import lua_script, scenarios
from scripts.ports import free_port

VARIANTS = {
    "metrics off": {"METRICS_ENABLED": "false"},
    "JSON access log on": {"LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json"},
}


def operating_section(url: str, settings: BenchSettings, base: str) -> dict[str, list[Measurement]]:
    """GET configuration on the measured service (metrics on, no access log) and on each variant,
    interleaved round by round."""
    get = next(s for s in scenarios(settings.applications, settings.configurations) if s.name == "get_configuration")
    services = {name: (free_port(), overrides) for name, overrides in VARIANTS.items()}
    started = {name: start_service(url, settings, port, **overrides) for name, (port, overrides) in services.items()}
    bases = {"metrics on (as measured above)": base} | {
        name: f"http://127.0.0.1:{port}" for name, (port, _) in services.items()
    }
    results: dict[str, list[Measurement]] = {name: [] for name in bases}
    try:
        for target in bases.values():
            run_wrk(
                target,
                lua_script(get, "warm-up"),
                seconds=warm_up_seconds(get, settings),
                connections=settings.connections,
            )
        for round_number in range(settings.rounds):
            for name, target in bases.items():
                script = lua_script(get, f"operating-{round_number}")
                results[name].append(
                    run_wrk(target, script, seconds=settings.seconds, connections=settings.connections)
                )
    finally:
        for server in started.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    return results


def operating_lines(results: dict[str, list[Measurement]]) -> list[str]:
    medians = {name: statistics.median(m.requests_per_second for m in runs) for name, runs in results.items()}
    reference = medians["metrics off"]
    lines = []
    for name, rps in medians.items():
        p99 = statistics.median(m.p99_ms for m in results[name])
        change = f"{rps / reference - 1:+.1%} vs metrics off"
        lines.append(f"operating: GET configuration, {name}: {rps:,.0f} req/s ({change}), p99 {p99:.1f} ms")
    return lines
