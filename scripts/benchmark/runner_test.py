import os
import subprocess
import sys

from scripts.benchmark.runner import BenchSettings, format_table, rss_mb, service_environment, summarise, worker_pids
from scripts.benchmark.tools import Measurement
from scripts.benchmark.workloads import CEILING, scenarios


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BENCH_SECONDS", "2.5")
    monkeypatch.setenv("BENCH_SCENARIOS", "get_configuration,put_configuration")
    monkeypatch.setenv("BENCH_POOL_SIZE", "6")

    settings = BenchSettings.from_environment()

    assert settings.seconds == 2.5
    assert settings.rounds == 3
    assert (settings.workers, settings.pool_size) == (2, 6)
    assert settings.only == ("get_configuration", "put_configuration")


def test_the_service_runs_with_the_bench_settings_not_the_callers(monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "50")
    monkeypatch.setenv("WORKERS", "8")

    env = service_environment("postgresql:///bench", BenchSettings(workers=2, pool_size=4), 9999)

    assert (env["WORKERS"], env["DB_POOL_MIN_SIZE"], env["DB_POOL_MAX_SIZE"]) == ("2", "2", "4")
    assert service_environment("", BenchSettings(pool_size=1), 1)["DB_POOL_MIN_SIZE"] == "1"  # min <= max
    assert (env["DATABASE_URL"], env["PORT"], env["LOG_LEVEL"]) == ("postgresql:///bench", "9999", "WARNING")


def test_summary_takes_medians_and_ratios_against_the_baselines():
    plan = [s for s in scenarios(10, 100) if s.name in {"get_configuration", "put_configuration"}]
    results = {
        CEILING.name: [Measurement(rps, 1, 2, 0) for rps in (1000, 900, 1100)],
        "get_configuration": [Measurement(rps, 2, 5, 0) for rps in (400, 300, 350)],
        "pgbench:get_configuration": [Measurement(rps, 0.1, 0.2, 0) for rps in (10000, 10000, 10000)],
        "put_configuration": [Measurement(rps, 3, 150, 1) for rps in (200, 200, 200)],
        "pgbench:put_configuration": [Measurement(rps, 0.5, 1, 0) for rps in (1000, 1000, 1000)],
    }

    rows = {row.name: row for row in summarise(results, plan)}

    assert rows["get_configuration"].requests_per_second == 350
    assert rows["get_configuration"].vs_ceiling == 0.35
    assert rows["get_configuration"].target.endswith("met")
    assert rows["put_configuration"].vs_pgbench == 0.2
    assert rows["put_configuration"].target.endswith("MISSED")  # ratio, p99 and errors all fail
    table = format_table(list(rows.values()))
    assert "GET configuration" in table
    assert "0.35x" in table


def test_worker_pids_finds_spawned_children_and_rss_is_read_from_proc():
    code = "import multiprocessing as m, time; m.get_context('spawn').Process(target=time.sleep, args=(5,)).start(); time.sleep(5)"
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(50):
            if worker_pids(parent.pid):
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert len(worker_pids(parent.pid)) == 1
        assert rss_mb(os.getpid()) > 10
    finally:
        parent.kill()
        parent.wait()
