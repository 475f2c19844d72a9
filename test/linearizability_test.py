"""The checker finds each kind of violation, and passes histories that are linearizable."""

from test.linearizability import Operation, check


def write(sent, answered, version, key="k"):
    return Operation(key, "write", sent, answered, version, "PUT")


def read(sent, answered, version, key="k"):
    return Operation(key, "read", sent, answered, version, "GET")


def test_a_sequential_history_passes():
    history = [write(1, 2, 2), read(3, 4, 2), write(5, 6, 3), read(7, 8, 3)]
    assert check(history, initial={"k": 1}) == []


def test_concurrent_operations_may_be_ordered_either_way():
    # The read overlaps the write: it may see the old version or the new one.
    assert check([write(1, 5, 2), read(2, 3, 1)], initial={"k": 1}) == []
    assert check([write(1, 5, 2), read(2, 3, 2)], initial={"k": 1}) == []


def test_a_read_older_than_an_acknowledged_write_is_stale():
    [violation] = check([write(1, 2, 2), read(3, 4, 1)], initial={"k": 1})
    assert violation.operation.sent == 3
    assert "stale: v2" in str(violation)
    assert violation.witness is not None
    assert violation.witness.kind == "write"


def test_a_read_older_than_an_earlier_read_is_stale_even_while_the_write_is_unacknowledged():
    # The case: the write is still in flight; one read saw v42, a later one v41.
    history = [write(0, 10, 42), read(1, 2, 42), read(3, 4, 41)]
    [violation] = check(history, initial={"k": 41})
    assert violation.operation.sent == 3
    assert violation.witness is not None
    assert violation.witness.version == 42


def test_a_write_of_unknown_outcome_may_or_may_not_be_seen():
    history = [Operation("k", "write", 1, None, None, "PUT"), read(2, 3, 2), read(4, 5, 2)]
    assert check(history, initial={"k": 1}) == []
    assert check([Operation("k", "write", 1, None, None, "PUT"), read(2, 3, 1)], initial={"k": 1}) == []


def test_a_version_no_write_could_have_made_yet_is_from_the_future():
    violations = check([write(5, 6, 2), read(1, 2, 2)], initial={"k": 1})
    assert [v.operation.kind for v in violations if "from the future" in str(v)] == ["read"]


def test_a_write_must_make_a_version_newer_than_any_seen_before_it_was_sent():
    [violation] = check([read(1, 2, 5), write(3, 4, 5)], initial={"k": 5})
    assert "a write made v5 after v5" in str(violation)


def test_keys_are_checked_apart():
    history = [write(1, 2, 2, key="a"), read(3, 4, 1, key="b")]
    assert check(history, initial={"a": 1, "b": 1}) == []


def test_reads_without_an_answer_are_ignored():
    assert check([write(1, 2, 2), Operation("k", "read", 3, None, None, "GET")], initial={"k": 1}) == []
