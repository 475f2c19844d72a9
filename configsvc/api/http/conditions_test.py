import re

import pytest
from fastapi.exceptions import RequestValidationError

from configsvc.api.http.conditions import ENTITY_TAG_LIST_PATTERN, expected_etags, if_match_list, none_match


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", None),
        (' "3" ', ['"3"']),
        ('"3", "4"', ['"3"', '"4"']),
        ('"2.7"', ['"2.7"']),  # an application's ETag
        ('W/"3"', []),  # If-Match compares strongly: a weak tag never matches
        ('"3", W/"4"', ['"3"']),
        ('"\u00b2"', ['"\u00b2"']),  # compared as text: never equal to one of ours (and no 500)
        ('"a,b", "3"', ['"a,b"', '"3"']),  # a tag may hold a comma
    ],
)
def test_if_match_becomes_the_etags_a_write_may_replace(header, expected):
    assert expected_etags(header) == expected


@pytest.mark.parametrize(("header", "expected"), [(None, None), ("*", ["*"]), ('"3"', ['"3"']), ('W/"3"', [])])
def test_if_match_for_what_may_not_exist_keeps_star_apart_from_no_header(header, expected):
    assert if_match_list(header) == expected


@pytest.mark.parametrize("header", ["3", '"3', '"3",,"4"', "W/3", ""])
def test_malformed_if_match_is_a_validation_error_on_the_header(header):
    with pytest.raises(RequestValidationError) as raised:
        expected_etags(header)

    assert raised.value.errors()[0]["loc"] == ("header", "if-match")


@pytest.mark.parametrize(
    ("header", "matches"),
    [(None, False), ("*", True), ('"2"', True), ('W/"2"', True), ('"1", "2"', True), ('"1"', False)],
)
def test_if_none_match_compares_weakly_against_the_current_version(header, matches):
    assert none_match(header, '"2"') is matches


@pytest.mark.parametrize(
    "header",
    [
        '"3"',
        "*",
        ' "3" , W/"4"',
        '""',
        '"a-b_c"',
        '"a,b", "3"',
        '"3",,"4"',
        "3",
        '"a b"',
        '"3',
        "W/3",
        "",
        '"3"x',
        '*, "3"',
    ],
)
def test_the_server_accepts_exactly_the_documented_entity_tag_syntax(header):
    documented = re.fullmatch(ENTITY_TAG_LIST_PATTERN, header) is not None
    try:
        expected_etags(header)
        accepted = True
    except RequestValidationError:
        accepted = False

    assert accepted == documented
