import pytest

from configsvc.errors import InvalidSchema
from configsvc.validation.validators import Validators


def test_compiling_counts_and_refuses_what_it_cannot_use():
    validators = Validators()

    validators.compile({"type": "object"}, loc=[])
    with pytest.raises(InvalidSchema):
        validators.compile({"$ref": "http://x/y"}, loc=[])

    assert validators.compilations == 2


def test_validators_are_kept_by_digest_least_recently_used_out_first_within_a_byte_budget():
    validators = Validators(max_bytes=100)
    small = validators.compile({"title": "x" * 30}, loc=[])  # about 45 bytes each
    validators.keep("a", small)
    validators.keep("b", validators.compile({"title": "y" * 30}, loc=[]))
    assert validators.get("a") is small  # now the most recently used
    validators.keep("c", validators.compile({"title": "z" * 30}, loc=[]))

    assert (validators.get("a"), validators.get("b") is None, validators.get("c") is not None) == (small, True, True)
    assert validators.bytes <= 100
    assert len(validators) == 2


def test_the_digest_a_configuration_was_last_seen_with_is_remembered_within_bounds():
    validators = Validators(max_remembered=2)

    validators.learn("A", "d1")
    validators.learn("B", "d2")
    validators.learn("C", "d3")
    validators.learn("B", None)  # its schema was removed: no guess at all

    assert [validators.expected_digest(id) for id in "ABC"] == [None, None, "d3"]
