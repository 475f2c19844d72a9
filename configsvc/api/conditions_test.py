import pytest
from fastapi.exceptions import RequestValidationError

from configsvc.api.conditions import expected_versions, none_match


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", None),
        (' "3" ', [3]),
        ('"3", "4"', [3, 4]),
        ('W/"3"', []),  # If-Match compares strongly: a weak tag never matches
        ('"abc"', []),  # not one of our versions
        ('"99999999999"', []),
        ('"\u00b2"', []),  # a Unicode digit is not one of our versions (and no 500)
        ('"03"', []),  # nor is a version spelt differently
    ],
)
def test_if_match_becomes_the_versions_a_write_may_replace(header, expected):
    assert expected_versions(header) == expected


@pytest.mark.parametrize("header", ["3", '"3', '"3",,"4"', "W/3", ""])
def test_malformed_if_match_is_a_validation_error_on_the_header(header):
    with pytest.raises(RequestValidationError) as raised:
        expected_versions(header)

    assert raised.value.errors()[0]["loc"] == ("header", "if-match")


@pytest.mark.parametrize(
    ("header", "matches"),
    [(None, False), ("*", True), ('"2"', True), ('W/"2"', True), ('"1", "2"', True), ('"1"', False)],
)
def test_if_none_match_compares_weakly_against_the_current_version(header, matches):
    assert none_match(header, '"2"') is matches
