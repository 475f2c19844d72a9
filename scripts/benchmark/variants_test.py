import itertools

from scripts.benchmark import variants
from scripts.benchmark.service import BenchSettings
from scripts.benchmark.tools import Measurement
from scripts.benchmark.variants import Variant, measure_variants
from scripts.benchmark.workloads import Scenario
from test.fakes import FakeServer

GET = Scenario("get", "GET", "request = function() return wrk.format('GET', '/x') end\n", None)


def test_each_variant_starts_with_its_own_settings_and_every_service_is_stopped(monkeypatch):
    ports, servers, environments, tokens = itertools.count(9000), [], {}, []

    def start_service(url, settings, port, *, quiet, source, **environment):
        environments[port] = environment
        servers.append(FakeServer())
        return servers[-1]

    def run_wrk(target, script, *, seconds, connections, cpu_seconds=None):
        tokens.append(script.splitlines()[0])
        return Measurement(1000, 1, 5, 0, 100.0)

    monkeypatch.setattr(variants, "free_port", lambda: next(ports))
    monkeypatch.setattr(variants, "start_service", start_service)
    monkeypatch.setattr(variants, "run_wrk", run_wrk)

    results = measure_variants(
        "postgresql://bench",
        BenchSettings(cost_rounds=3),
        {"on A": Variant({"X": "1"}, GET), "off A": Variant({"X": "0"}, GET)},
        label="test",
    )

    assert list(environments.values()) == [{"X": "1"}, {"X": "0"}, {"X": "0"}, {"X": "1"}]  # restarted reversed
    assert all(server.stopped for server in servers)
    assert {name: len(runs) for name, runs in results.items()} == {"on A": 3, "off A": 3}
    assert "run_token = 'test-on-A-0'" in tokens  # each run's names its own


def test_a_variant_with_a_source_is_served_from_that_copy(monkeypatch, tmp_path):
    sources = []

    def start_service(url, settings, port, *, quiet, source, **environment):
        sources.append(source)
        return FakeServer()

    monkeypatch.setattr(variants, "free_port", itertools.count(9000).__next__)
    monkeypatch.setattr(variants, "start_service", start_service)
    monkeypatch.setattr(variants, "run_wrk", lambda *args, **kwargs: Measurement(1000, 1, 5, 0, 100.0))

    measure_variants(
        "postgresql://bench",
        BenchSettings(cost_rounds=1),
        {"as served": Variant({}, GET), "copy": Variant({}, GET, source=tmp_path)},
        label="test",
    )

    assert sources == [None, tmp_path]
