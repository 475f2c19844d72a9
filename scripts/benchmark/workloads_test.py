import psycopg2
import pytest

from configsvc.fields import canonical_ulid
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
        cursor.execute("SELECT min(seq), max(seq) FROM applications")
        seqs = cursor.fetchone()
    conn.close()

    assert count == revisions == 200
    assert canonical_ulid(first) == first  # bench ids are real ULIDs
    assert canonical_ulid(last) == last
    assert len(config) == 10
    assert seqs == (10, 10)  # ten configurations each, counted by the trigger


def test_targets_follow_the_issue():
    targets = {s.name: s.target.describe() for s in PLAN if s.target is not None}

    assert targets == {
        "get_configuration": "≥ 1x etcd, p99 ≤ 20 ms",
        "get_application": "≥ 0.8x etcd",
        "list_applications": "≥ 0.22x ceiling",
        "put_configuration": "≥ 0.25x etcd, p99 ≤ 60 ms",
    }
    assert {s.name: s.peer for s in PLAN if s.peer} == {
        "get_configuration": "range",
        "get_configuration_by_name": "range",
        "get_application": "range",
        "post_configuration": "put",
        "put_configuration": "put",
        "put_configuration_one_application": "put",
    }
