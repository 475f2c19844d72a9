from scripts.benchmark.report import format_table, summarise
from scripts.benchmark.tools import Measurement
from scripts.benchmark.workloads import CEILING, etcd_put, etcd_range, scenarios

PLAN = [s for s in scenarios(10, 100) if s.name in {"get_configuration", "put_configuration", "list_applications"}]
PEERS = [etcd_range(100), etcd_put(100)]


def test_summary_takes_medians_and_ratios_against_the_ceiling_and_etcd():
    results = {
        CEILING.name: [Measurement(rps, 1, 2, 0) for rps in (1000, 900, 1100)],
        "etcd_range": [Measurement(rps, 1, 2, 0) for rps in (500, 500, 500)],
        "etcd_put": [Measurement(rps, 1, 2, 0) for rps in (400, 400, 400)],
        "get_configuration": [Measurement(rps, 2, 5, 0) for rps in (400, 600, 550)],
        "list_applications": [Measurement(rps, 2, 5, 0) for rps in (210, 200, 230)],
        "put_configuration": [Measurement(rps, 3, 150, 1) for rps in (200, 200, 200)],
    }

    rows = {row.name: row for row in summarise(results, CEILING, PEERS, PLAN)}

    assert rows["get_configuration"].requests_per_second == 550
    assert rows["get_configuration"].vs_ceiling == 0.55
    assert rows["get_configuration"].vs_etcd == 1.1
    assert rows["get_configuration"].target == "≥ 1x etcd, p99 ≤ 20 ms: met"
    assert rows["list_applications"].vs_etcd is None
    assert rows["list_applications"].target == "≥ 0.22x ceiling: MISSED"  # 0.21
    assert rows["put_configuration"].vs_etcd == 0.5
    assert rows["put_configuration"].target.endswith("MISSED")  # ratio met, but p99 and an error
    table = format_table(list(rows.values()))
    assert "GET configuration" in table
    assert "1.10x" in table
    assert "etcd range" in table
