import pytest

from scripts.benchmark import runner


def test_the_bench_refuses_to_run_without_its_tools(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None if name == "etcd" else f"/usr/bin/{name}")

    with pytest.raises(SystemExit, match="etcd"):
        runner.main()
