"""What operating features cost GET configuration: each variant is a service of its own, all started
fresh for this section (the service measured above has served every other scenario by now, and a
comparison with it measures that history as much as the feature), measured interleaved round by
round, the order rotated each round and half the rounds after a restart in the reverse order, each
run with the workers' CPU time per request beside its throughput.

On two cores, identical services differ from each other by a few per cent (wrk's connections spread
unevenly over the two workers, and more), as much as the metrics target allows (a cost of at most
3%). So metrics on and metrics off run as two services each, an A/A control in the same run: the
cost is, per round, the mean of the two "on" against the mean of the two "off", and beside it is
what the two identical services of each kind differed by in the same rounds."""

import statistics
from dataclasses import dataclass

from scripts.benchmark.paired_rounds import median_change, median_spread, round_means
from scripts.benchmark.service import BenchSettings
from scripts.benchmark.tools import Measurement
from scripts.benchmark.variants import Variant, measure_variants
from scripts.benchmark.workloads import scenarios

REFERENCE = "metrics off"  # what every variant is measured against: its two services pooled
AS_SERVED = "metrics on (as served)"
REFERENCE_SERVICES = (f"{REFERENCE} A", f"{REFERENCE} B")
AS_SERVED_SERVICES = (f"{AS_SERVED} A", f"{AS_SERVED} B")
METRICS_OFF = {"METRICS_ENABLED": "false"}
# Started in this order (then reversed): on and off alternate, and the two of a kind stand apart.
VARIANTS = {
    AS_SERVED_SERVICES[0]: {},
    REFERENCE_SERVICES[0]: METRICS_OFF,
    "JSON access log on": {"LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json"},
    AS_SERVED_SERVICES[1]: {},
    REFERENCE_SERVICES[1]: METRICS_OFF,
}


def operating_section(url: str, settings: BenchSettings) -> dict[str, list[Measurement]]:
    """GET configuration on each variant, `settings.cost_rounds` rounds over two starts of the
    services in opposite orders, interleaved, the order rotated from round to round."""
    get = next(s for s in scenarios(settings.applications, settings.configurations) if s.name == "get_configuration")
    variants = {name: Variant(environment, get) for name, environment in VARIANTS.items()}
    return measure_variants(url, settings, variants, label="operating")


@dataclass(frozen=True)
class MetricsCost:
    """Metrics on against off (medians over rounds of per-round changes, the two services of each kind
    averaged within the round), beside the A/A noise floor: |A / B - 1| of two identical services."""

    rounds: int
    throughput: float
    cpu_per_request: float
    throughput_noise_off: float
    throughput_noise_on: float
    cpu_noise_off: float
    cpu_noise_on: float


def metrics_cost(results: dict[str, list[Measurement]]) -> MetricsCost:
    def cost(field: str) -> float:
        on, off = (round_means(results, names, field) for names in (AS_SERVED_SERVICES, REFERENCE_SERVICES))
        return median_change(on, off)

    def noise(pair: tuple[str, str], field: str) -> float:
        a, b = (round_means(results, [name], field) for name in pair)
        return median_spread(a, b)

    throughput, cpu = "requests_per_second", "worker_cpu_us"
    return MetricsCost(
        rounds=len(results[REFERENCE_SERVICES[0]]),
        throughput=cost(throughput),
        cpu_per_request=cost(cpu),
        throughput_noise_off=noise(REFERENCE_SERVICES, throughput),
        throughput_noise_on=noise(AS_SERVED_SERVICES, throughput),
        cpu_noise_off=noise(REFERENCE_SERVICES, cpu),
        cpu_noise_on=noise(AS_SERVED_SERVICES, cpu),
    )


def operating_lines(results: dict[str, list[Measurement]]) -> list[str]:
    """Each variant's medians against metrics off (its two services' runs pooled), then the metrics
    cost and, to read it against, what identical services differed by in the same rounds."""

    def median(runs: list[Measurement], field: str) -> float:
        return statistics.median(getattr(m, field) or 0.0 for m in runs)

    pooled = [m for name in REFERENCE_SERVICES for m in results[name]]
    reference_rps, reference_cpu = median(pooled, "requests_per_second"), median(pooled, "worker_cpu_us")
    lines = []
    for name, runs in results.items():
        rps, cpu = median(runs, "requests_per_second"), median(runs, "worker_cpu_us")
        lines.append(
            f"operating: GET configuration, {name}: {rps:,.0f} req/s ({rps / reference_rps - 1:+.1%} vs {REFERENCE} "
            f"A+B), workers' CPU {cpu:.0f} us per request ({cpu / reference_cpu - 1:+.1%}), "
            f"p99 {median(runs, 'p99_ms'):.1f} ms ({len(runs)} rounds, medians)"
        )
    cost = metrics_cost(results)
    return [
        *lines,
        f"operating: metrics cost, on A+B against off A+B in each round, median of {cost.rounds} rounds: "
        f"throughput {cost.throughput:+.1%}, workers' CPU per request {cost.cpu_per_request:+.1%} "
        "(target: a cost of at most 3%)",
        f"operating: A/A control, identical services differed by a median {cost.throughput_noise_off:.1%} (off) "
        f"and {cost.throughput_noise_on:.1%} (on) per round in throughput, {cost.cpu_noise_off:.1%} and "
        f"{cost.cpu_noise_on:.1%} in CPU per request",
    ]
