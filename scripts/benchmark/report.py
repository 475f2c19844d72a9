"""The bench's table: medians of the rounds, as ratios to the ceiling and to etcd, and the targets."""

import statistics
from dataclasses import dataclass

from scripts.benchmark.tools import Measurement
from scripts.benchmark.workloads import Scenario

ETCD = {"range": "etcd_range", "put": "etcd_put"}


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    vs_ceiling: float | None
    vs_etcd: float | None
    target: str


def summarise(
    results: dict[str, list[Measurement]], ceiling: Scenario, peers: list[Scenario], plan: list[Scenario]
) -> list[Row]:
    def median(name: str, field: str) -> float:
        return statistics.median(getattr(m, field) for m in results[name])

    def row(scenario: Scenario, etcd: float | None, target: str = "") -> Row:
        rps = median(scenario.name, "requests_per_second")
        return Row(
            scenario.name,
            scenario.title,
            rps,
            median(scenario.name, "p50_ms"),
            median(scenario.name, "p99_ms"),
            sum(m.errors for m in results[scenario.name]),
            rps / ceiling_rps,
            None if etcd is None else rps / etcd,
            target,
        )

    ceiling_rps = median(ceiling.name, "requests_per_second")
    etcd_rps = {kind: median(name, "requests_per_second") for kind, name in ETCD.items() if name in results}
    rows = [row(ceiling, None)] + [row(peer, median(peer.name, "requests_per_second")) for peer in peers]
    for scenario in plan:
        etcd = etcd_rps.get(scenario.peer) if scenario.peer else None
        measured = row(scenario, etcd)
        target = ""
        if scenario.target is not None:
            ratio = measured.vs_ceiling if scenario.target.baseline == "ceiling" else measured.vs_etcd
            met = ratio is not None and ratio >= scenario.target.ratio and measured.errors == 0
            met = met and (scenario.target.p99_ms is None or measured.p99_ms <= scenario.target.p99_ms)
            target = f"{scenario.target.describe()}: {'met' if met else 'MISSED'}"
        rows.append(Row(**{**measured.__dict__, "target": target}))
    return rows


def format_table(rows: list[Row]) -> str:
    def ratio(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}x"

    header = f"{'scenario':<32}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x ceiling':>11}{'x etcd':>9}"
    lines = [header + "  target"]
    for row in rows:
        lines.append(
            f"{row.title:<32}{row.requests_per_second:>9,.0f}{row.p50_ms:>9.2f}{row.p99_ms:>9.2f}{row.errors:>8}"
            f"{ratio(row.vs_ceiling):>11}{ratio(row.vs_etcd):>9}  {row.target}".rstrip()
        )
    return "\n".join(lines)
