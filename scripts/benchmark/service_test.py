import psycopg2
import pytest

from scripts.benchmark.service import BenchSettings, documents, service_environment, warm_up_seconds
from scripts.benchmark.workloads import LOAD_DATA, scenarios


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


def test_reads_warm_up_long_enough_to_fill_the_caches():
    plan = {s.name: s for s in scenarios(10, 100)}
    settings = BenchSettings(seconds=5)

    assert warm_up_seconds(plan["get_configuration"], settings) == 15
    assert warm_up_seconds(plan["put_configuration"], settings) == 5
    assert warm_up_seconds(plan["get_configuration"], BenchSettings(seconds=0.5)) == 2


@pytest.mark.anyio
async def test_etcd_gets_the_documents_the_service_serves(database_url, client):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cursor:
        cursor.execute(LOAD_DATA, {"applications": 3, "configurations": 9})
    conn.close()

    loaded = dict(documents(database_url))

    assert len(loaded) == 9
    some_id = sorted(loaded)[4]
    assert loaded[some_id] == (await client.get(f"/api/v1/configurations/{some_id}")).content
