import pytest

from scripts.benchmark import runner


def test_the_bench_refuses_to_run_without_its_tools(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None if name == "etcd" else f"/usr/bin/{name}")

    with pytest.raises(SystemExit, match="etcd"):
        runner.main()


def test_by_name_is_compared_with_by_id_round_by_round():
    from scripts.benchmark.runner import by_name_against_by_id
    from scripts.benchmark.tools import Measurement

    by_id = [Measurement(1000, 1, 10, 0), Measurement(500, 1, 20, 0), Measurement(800, 1, 10, 0)]
    by_name = [Measurement(950, 1, 11, 0), Measurement(500, 1, 30, 0), Measurement(900, 1, 10, 0)]

    line = by_name_against_by_id({"get_configuration": by_id, "get_configuration_by_name": by_name})

    assert line == "GET by name against by id, per round, medians: throughput 1.00x, p99 1.10x"
    assert by_name_against_by_id({"get_configuration": by_id}) is None
