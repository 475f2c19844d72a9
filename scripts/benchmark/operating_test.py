import itertools

import pytest

from scripts.benchmark import operating, variants
from scripts.benchmark.operating import (
    AS_SERVED_SERVICES,
    REFERENCE,
    REFERENCE_SERVICES,
    VARIANTS,
    metrics_cost,
    operating_lines,
    operating_section,
)
from scripts.benchmark.service import BenchSettings
from scripts.benchmark.tools import Measurement
from test.fakes import FakeServer

JSON_LOG = "JSON access log on"
# Three rounds of (req/s, CPU us per request) per service. Per round, on A+B against off A+B:
# throughput -1%, -2%, -4% (the second round slow for all); CPU +1%, +3%, +5%.
ROUNDS = {
    "metrics on (as served) A": [(1005, 100), (594, 100), (1200, 200)],
    "metrics off A": [(1015, 98), (600, 95), (1200, 200)],
    JSON_LOG: [(800, 130), (700, 120), (900, 140)],
    "metrics on (as served) B": [(975, 102), (582, 106), (1200, 220)],
    "metrics off B": [(985, 102), (600, 105), (1300, 200)],
}


def measured(rounds=ROUNDS):
    return {
        name: [Measurement(rps, 1, 5 + i, 0, cpu) for i, (rps, cpu) in enumerate(runs)] for name, runs in rounds.items()
    }


def test_metrics_on_and_off_run_as_two_identical_services_each_and_the_json_log_as_one():
    assert REFERENCE_SERVICES == ("metrics off A", "metrics off B")
    assert AS_SERVED_SERVICES == ("metrics on (as served) A", "metrics on (as served) B")
    assert [VARIANTS[name] for name in REFERENCE_SERVICES] == [{"METRICS_ENABLED": "false"}] * 2
    assert [VARIANTS[name] for name in AS_SERVED_SERVICES] == [{}, {}]
    assert list(VARIANTS) == list(ROUNDS)


def test_the_metrics_cost_is_the_median_of_the_per_round_changes_of_the_means_of_two():
    cost = metrics_cost(measured())

    assert cost.rounds == 3
    # The medians pooled over rounds would say -1.0% (990 against 1000).
    assert cost.throughput == pytest.approx(-0.02)
    assert cost.cpu_per_request == pytest.approx(0.03)


def test_the_noise_floor_is_the_median_of_what_the_two_identical_services_differed_by_each_round():
    cost = metrics_cost(measured())

    # |A / B - 1| per round. Throughput off: 3.0%, 0, 7.7% (signed, +3.0%, 0, -7.7%: a median of 0);
    # on: 3.1%, 2.1%, 0. CPU off: 3.9%, 9.5%, 0; on: 2.0%, 5.7%, 9.1%.
    assert cost.throughput_noise_off == pytest.approx(1015 / 985 - 1)
    assert cost.throughput_noise_on == pytest.approx(594 / 582 - 1)
    assert cost.cpu_noise_off == pytest.approx(1 - 98 / 102)
    assert cost.cpu_noise_on == pytest.approx(1 - 100 / 106)


def test_each_service_is_shown_against_the_pooled_runs_of_both_metrics_off_services():
    lines = operating_lines(measured())

    assert len(lines) == 7
    # Off pooled: 1,000 req/s, 103.5 us; off A alone would give 1,015 req/s and 98 us.
    assert (
        "GET configuration, JSON access log on: 800 req/s (-20.0% vs metrics off A+B), "
        "workers' CPU 130 us per request (+25.6%), p99 6.0 ms (3 rounds, medians)" in lines[2]
    )
    assert "metrics on (as served) A: 1,005 req/s (+0.5% vs metrics off A+B)" in lines[0]
    assert "metrics off B: 985 req/s (-1.5% vs metrics off A+B)" in lines[4]
    assert REFERENCE == "metrics off"


def test_the_cost_and_the_noise_floor_are_printed_together_with_the_target():
    lines = operating_lines(measured())

    assert lines[5] == (
        "operating: metrics cost, on A+B against off A+B in each round, median of 3 rounds: "
        "throughput -2.0%, workers' CPU per request +3.0% (target: a cost of at most 3%)"
    )
    assert lines[6] == (
        "operating: A/A control, identical services differed by a median 3.0% (off) and 2.1% (on) "
        "per round in throughput, 3.9% and 5.7% in CPU per request"
    )


def test_the_section_rotates_the_order_each_round_and_restarts_in_reverse_half_way(monkeypatch):
    ports = itertools.count(9000)
    names_by_port, started, runs = {}, [], []

    def start_service(url, settings, port, *, quiet, source, SERVICE):
        names_by_port[port] = SERVICE
        started.append((SERVICE, FakeServer()))
        return started[-1][1]

    def run_wrk(target, script, *, seconds, connections, cpu_seconds=None):
        runs.append((names_by_port[int(target.rsplit(":", 1)[1])], "warm-up" if cpu_seconds is None else "measured"))
        return Measurement(1000, 1, 5, 0, 100.0)

    monkeypatch.setattr(operating, "VARIANTS", {name: {"SERVICE": name} for name in VARIANTS})
    monkeypatch.setattr(variants, "free_port", lambda: next(ports))
    monkeypatch.setattr(variants, "start_service", start_service)
    monkeypatch.setattr(variants, "run_wrk", run_wrk)

    results = operating_section("postgresql://bench", BenchSettings(cost_rounds=3))

    order = list(VARIANTS)
    reverse = order[::-1]
    assert [name for name, _ in started] == order + reverse
    assert all(server.stopped for _, server in started)
    assert [name for name, kind in runs if kind == "warm-up"] == order + reverse
    # Two rounds on the first start (the second rotated by one place), one on the restart in reverse.
    assert [name for name, kind in runs if kind == "measured"] == order + order[1:] + order[:1] + reverse
    assert {name: len(r) for name, r in results.items()} == dict.fromkeys(VARIANTS, 3)
