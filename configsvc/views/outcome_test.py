import pytest

from configsvc.errors import NotFound
from configsvc.representations import Representation
from configsvc.views.outcome import Outcome


def test_a_found_outcome_gives_its_value_and_tags():
    value = Representation(b"{}", '"1"')

    outcome = Outcome.found(value, "A", "B")

    assert (outcome.result(), outcome.tags) == (value, ("A", "B"))


def test_a_missing_outcome_raises_a_fresh_not_found_each_time():
    outcome = Outcome.not_found("no such thing", "A")

    with pytest.raises(NotFound, match="no such thing") as first:
        outcome.result()
    with pytest.raises(NotFound) as second:
        outcome.result()

    assert first.value is not second.value  # shared by a batch's readers, raised for each
    assert outcome.tags == ("A",)
