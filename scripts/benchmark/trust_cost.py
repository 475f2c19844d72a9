"""What trust costs, in the same run: access control and refreshing, each measured as operating.py
measures the metrics (two fresh services of each variant, an A/A control; interleaved round by
round, the order rotated, half the rounds after a restart in the reverse order; workers' CPU per
request beside throughput):

* GET configuration with access control enforced (AUTH_REQUIRED=true and a `read:*` token sent with
  every request) against off (no token): what authenticating a cached read costs;
* PUT configuration with READ_REFRESH on against off, each PUT run right after a GET run over the
  same data set on the same service, so that what the PUTs change is in use and is read again;
* PUT configuration as served (each write records its audit event in its own statement) against
  the same build with the audit taken out (`without_audit.py`, a copy made under the data dir).

The token is stored by SQL, as the operator's command stores it but without turning enforcement
on for the database: the services that are off stay open."""

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from ulid import ULID

from configsvc.access.secrets import digest, new_secret
from scripts.benchmark.paired_rounds import median_change, median_spread, round_means
from scripts.benchmark.service import BenchSettings
from scripts.benchmark.tools import Measurement
from scripts.benchmark.variants import Variant, measure_variants
from scripts.benchmark.without_audit import build_without_audit
from scripts.benchmark.workloads import Scenario, scenarios

ROOT = Path(__file__).resolve().parents[2]
INSERT_TOKEN = "INSERT INTO tokens (id, name, secret_sha256, scopes) VALUES (%s, 'bench reader', %s, '{read:*}')"


@dataclass(frozen=True)
class Comparison:
    """`changed` against `reference`: two services each (A, B), all of them `Variant`s."""

    title: str
    changed: str
    reference: str
    variants: dict[str, Variant]

    def services(self, label: str) -> tuple[str, str]:
        return (f"{label} A", f"{label} B")


def with_token(scenario: Scenario, secret: str) -> Scenario:
    """The scenario, sending the token with every request (wrk.format uses wrk.headers when a request
    names no headers of its own, as GETs do)."""
    lua = f'wrk.headers["Authorization"] = "Bearer {secret}"\n' + scenario.lua
    return Scenario(scenario.name, f"{scenario.title} with a token", lua, scenario.peer)


def store_token(url: str) -> str:
    secret = new_secret()
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(INSERT_TOKEN, (str(ULID()), digest(secret)))
    finally:
        conn.close()
    return secret


def comparisons(url: str, settings: BenchSettings) -> list[Comparison]:
    by_name = {s.name: s for s in scenarios(settings.applications, settings.configurations)}
    get, put = by_name["get_configuration"], by_name["put_configuration"]
    get_with_token = with_token(get, store_token(url))
    enforced, off = "access control enforced", "access control off"
    refresh_on, refresh_off = "refresh on (as served)", "refresh off"
    audited, unaudited = "audit (as served)", "no audit"
    without_audit = build_without_audit(ROOT, settings.data_dir / "bench" / "without-audit")

    def pairs(changed: str, changed_variant: Variant, reference: str, reference_variant: Variant) -> dict:
        # Started in this order (then reversed): the two kinds alternate.
        return {
            f"{changed} A": changed_variant,
            f"{reference} A": reference_variant,
            f"{changed} B": changed_variant,
            f"{reference} B": reference_variant,
        }

    return [
        Comparison(
            "access control: GET configuration, enforced with a token against off",
            enforced,
            off,
            pairs(enforced, Variant({"AUTH_REQUIRED": "true"}, get_with_token), off, Variant({}, get)),
        ),
        Comparison(
            "refresh: PUT configuration right after a GET run over the same data, refresh on against off",
            refresh_on,
            refresh_off,
            pairs(
                refresh_on,
                Variant({"READ_REFRESH": "true"}, put, before=get),
                refresh_off,
                Variant({"READ_REFRESH": "false"}, put, before=get),
            ),
        ),
        Comparison(
            "audit: PUT configuration recording its audit event against the same build without the audit",
            audited,
            unaudited,
            pairs(audited, Variant({}, put), unaudited, Variant({}, put, source=without_audit)),
        ),
    ]


Measured = list[tuple[Comparison, dict[str, list[Measurement]]]]


def trust_section(
    url: str, settings: BenchSettings, *, planned: Callable[[str, BenchSettings], list[Comparison]] = comparisons
) -> Measured:
    """Each comparison's services, `settings.cost_rounds` rounds over two starts in opposite orders."""
    return [
        (comparison, measure_variants(url, settings, comparison.variants, label="trust"))
        for comparison in planned(url, settings)
    ]


@dataclass(frozen=True)
class Cost:
    """Changed A+B against reference A+B, per round, the median over rounds; beside it the A/A noise."""

    rounds: int
    throughput: float
    cpu_per_request: float
    p99_changed_ms: float
    p99_reference_ms: float
    throughput_noise_changed: float
    throughput_noise_reference: float


def cost(results: dict[str, list[Measurement]], changed: tuple[str, str], reference: tuple[str, str]) -> Cost:
    def change(field: str) -> float:
        return median_change(round_means(results, changed, field), round_means(results, reference, field))

    def noise(pair: tuple[str, str]) -> float:
        a, b = (round_means(results, [name], "requests_per_second") for name in pair)
        return median_spread(a, b)

    def p99(pair: tuple[str, str]) -> float:
        return statistics.median(m.p99_ms for name in pair for m in results[name])

    return Cost(
        rounds=len(results[reference[0]]),
        throughput=change("requests_per_second"),
        cpu_per_request=change("worker_cpu_us"),
        p99_changed_ms=p99(changed),
        p99_reference_ms=p99(reference),
        throughput_noise_changed=noise(changed),
        throughput_noise_reference=noise(reference),
    )


def trust_lines(results: Measured) -> list[str]:
    lines = []
    for comparison, measured in results:
        for name, runs in measured.items():
            rps = statistics.median(m.requests_per_second for m in runs)
            cpu = statistics.median(m.worker_cpu_us or 0.0 for m in runs)
            p99 = statistics.median(m.p99_ms for m in runs)
            lines.append(f"trust: {name}: {rps:,.0f} req/s, workers' CPU {cpu:.0f} us per request, p99 {p99:.1f} ms")
        found = cost(measured, comparison.services(comparison.changed), comparison.services(comparison.reference))
        lines.append(
            f"trust: {comparison.title}, median of {found.rounds} rounds: throughput {found.throughput:+.1%}, "
            f"workers' CPU per request {found.cpu_per_request:+.1%}, p99 {found.p99_changed_ms:.1f} ms against "
            f"{found.p99_reference_ms:.1f} ms; A/A: identical services differed by a median "
            f"{found.throughput_noise_changed:.1%} and {found.throughput_noise_reference:.1%} per round"
        )
    return lines


def as_json(results: Measured) -> dict:
    return {
        comparison.title: {
            "runs": {name: [vars(m) for m in runs] for name, runs in measured.items()},
            "cost": vars(
                cost(measured, comparison.services(comparison.changed), comparison.services(comparison.reference))
            ),
        }
        for comparison, measured in results
    }
