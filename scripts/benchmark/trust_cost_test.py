import itertools

import pytest

from scripts.benchmark import variants
from scripts.benchmark.service import BenchSettings
from scripts.benchmark.tools import Measurement
from scripts.benchmark.trust_cost import Comparison, comparisons, cost, trust_lines, trust_section, with_token
from scripts.benchmark.variants import Variant
from scripts.benchmark.without_audit import WITHOUT
from scripts.benchmark.workloads import Scenario
from test.fakes import FakeServer
from test.sql import sql

GET = Scenario("get", "GET", "request = function() return wrk.format('GET', '/x') end\n", None)
PUT = Scenario("put", "PUT", "request = function() return wrk.format('PUT', '/x', {}, '{}') end\n", None)


def test_the_token_goes_in_wrk_headers_which_a_get_without_headers_of_its_own_sends():
    sent = with_token(GET, "cfgsvc_secret")

    assert sent.lua.startswith('wrk.headers["Authorization"] = "Bearer cfgsvc_secret"\n')
    assert sent.lua.endswith(GET.lua)


def test_the_token_is_stored_without_turning_enforcement_on(database_url, tmp_path):
    plan = comparisons(database_url, BenchSettings(applications=1, configurations=1, data_dir=tmp_path))

    assert sql(database_url, "SELECT enforced FROM access_control") == [(False,)]
    assert sql(database_url, "SELECT name, scopes FROM tokens") == [("bench reader", ["read:*"])]
    access, refresh, audit = plan
    assert [v.environment for v in access.variants.values()] == [{"AUTH_REQUIRED": "true"}, {}] * 2
    assert [v.environment.get("READ_REFRESH") for v in refresh.variants.values()] == ["true", "false"] * 2
    assert all(v.before is not None and v.before.name == "get_configuration" for v in refresh.variants.values())
    without_audit = tmp_path / "bench" / "without-audit"
    assert [v.source for v in audit.variants.values()] == [None, without_audit] * 2
    assert all(v.scenario.name == "put_configuration" and v.before is None for v in audit.variants.values())
    assert (without_audit / "configsvc" / "repositories" / "audit.py").read_text().endswith(WITHOUT)


def test_each_variant_runs_its_before_scenario_unrecorded_ahead_of_each_measured_run(monkeypatch):
    ports = itertools.count(9000)
    names_by_port, runs = {}, []

    def start_service(url, settings, port, *, quiet, source, SERVICE):
        names_by_port[port] = SERVICE
        return FakeServer()

    def run_wrk(target, script, *, seconds, connections, cpu_seconds=None):
        runs.append((names_by_port[int(target.rsplit(":", 1)[1])], "measured" if cpu_seconds else script[-20:]))
        return Measurement(1000, 1, 5, 0, 100.0)

    def planned(url, settings):
        variants = {
            name: Variant({"SERVICE": name}, PUT, before=GET if name.startswith("on") else None)
            for name in ("on A", "off A", "on B", "off B")
        }
        return [Comparison("refresh", "on", "off", variants)]

    monkeypatch.setattr(variants, "free_port", lambda: next(ports))
    monkeypatch.setattr(variants, "start_service", start_service)
    monkeypatch.setattr(variants, "run_wrk", run_wrk)

    ((comparison, results),) = trust_section("postgresql://bench", BenchSettings(cost_rounds=2), planned=planned)

    measured = [name for name, kind in runs if kind == "measured"]
    assert measured == ["on A", "off A", "on B", "off B", "off B", "on B", "off A", "on A"]
    for n, (name, kind) in enumerate(runs):
        if kind == "measured" and name.startswith("on"):
            assert runs[n - 1][0] == name  # its GET run, just before
            assert runs[n - 1][1] != "measured"
    assert {name: len(r) for name, r in results.items()} == dict.fromkeys(comparison.variants, 2)


def test_the_cost_is_per_round_changed_pair_against_reference_pair_with_the_a_a_noise():
    rounds = {"on A": [990, 500], "on B": [970, 520], "off A": [1000, 505], "off B": [1000, 515]}
    results = {name: [Measurement(rps, 1, 10, 0, 100.0) for rps in runs] for name, runs in rounds.items()}

    found = cost(results, ("on A", "on B"), ("off A", "off B"))

    assert found.throughput == pytest.approx(((980 / 1000 - 1) + (510 / 510 - 1)) / 2)
    assert found.throughput_noise_reference == pytest.approx((0 + abs(505 / 515 - 1)) / 2)
    lines = trust_lines([(Comparison("refresh", "on", "off", {}), results)])
    assert lines[-1].startswith("trust: refresh, median of 2 rounds: throughput -1.0%")
