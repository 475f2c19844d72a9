import pytest

from configsvc.errors import NotFound
from configsvc.representations import Representation
from configsvc.views.answer import Answer


def test_a_found_answer_gives_its_value_and_tags():
    value = Representation(b"{}", '"1"')

    answer = Answer.found(value, "A", "B")

    assert (answer.result(), answer.tags) == (value, ("A", "B"))


def test_a_missing_answer_raises_a_fresh_not_found_each_time():
    answer = Answer.not_found("no such thing", "A")

    with pytest.raises(NotFound, match="no such thing") as first:
        answer.result()
    with pytest.raises(NotFound) as second:
        answer.result()

    assert first.value is not second.value  # shared by a batch's readers, raised for each
    assert answer.tags == ("A",)
