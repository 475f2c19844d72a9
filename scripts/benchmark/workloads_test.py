import psycopg2
import pytest

from configsvc.fields import canonical_ulid
from scripts.benchmark.tools import run_pgbench
from scripts.benchmark.workloads import LOAD_DATA, scenarios

PLAN = scenarios(20, 200)


@pytest.fixture
def loaded_url(database_url):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cursor:
        cursor.execute(LOAD_DATA, {"applications": 20, "configurations": 200})
    conn.close()
    return database_url


def test_the_data_set_is_valid_and_every_configuration_has_its_revision(loaded_url):
    conn = psycopg2.connect(loaded_url)
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*), min(id), max(id) FROM configurations")
        count, first, last = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM configuration_revisions")
        (revisions,) = cursor.fetchone()
        cursor.execute("SELECT config FROM configurations LIMIT 1")
        (config,) = cursor.fetchone()
    conn.close()

    assert count == revisions == 200
    assert canonical_ulid(first) == first  # bench ids are real ULIDs
    assert canonical_ulid(last) == last
    assert len(config) == 10


@pytest.mark.parametrize("scenario", PLAN, ids=lambda s: s.name)
def test_every_pgbench_equivalent_runs_without_errors(loaded_url, scenario):
    measured = run_pgbench(loaded_url, scenario.pgbench, seconds=1, clients=2, threads=1, transactions=20)

    assert measured.requests_per_second > 0
    assert measured.errors == 0


def test_targets_follow_the_issue():
    targets = {s.name: (s.baseline, s.target) for s in PLAN}

    assert targets["get_configuration"] == ("ceiling", 0.35)
    assert targets["get_application"] == ("ceiling", 0.30)
    assert targets["list_applications"] == ("ceiling", 0.15)
    assert targets["put_configuration"] == ("pgbench", 0.40)
