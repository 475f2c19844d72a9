from configsvc.repositories.audit import NOBODY, Author, audited


def test_each_write_gets_a_fresh_event_id_with_its_author():
    author = Author("01JTOKEN0000000000000000AA", "ci", "req-1")

    first, second = author.params(), author.params()

    assert first["event_id"] != second["event_id"]
    assert {k: v for k, v in first.items() if k != "event_id"} == {
        "actor_token_id": "01JTOKEN0000000000000000AA",
        "actor_name": "ci",
        "request_id": "req-1",
    }
    assert NOBODY.params()["actor_token_id"] is None  # made while access control was off


def test_the_audit_cte_reads_its_row_from_the_write_s_own_cte():
    cte = audited(
        "changed", action="configuration.replace", kind="configuration", id="id", application="a", version="v"
    )

    assert cte.startswith(",\naudit AS (")
    assert "'configuration.replace', 'configuration'" in cte
    assert cte.rstrip().endswith("FROM changed\n)")
