import pytest

from configsvc.representations import (
    APPLICATION_FIELDS,
    APPLICATION_SUMMARY_FIELDS,
    CONFIGURATION_FIELDS,
    REVISION_FIELDS,
    Page,
    Representation,
    timestamp,
)
from configsvc.schemas import Application, ApplicationSummary, Configuration, Revision


def test_timestamps_are_rendered_with_one_rfc3339_format():
    assert timestamp("c.updated_at") == "to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def names(fields: str) -> list[str]:
    """The output names of a select-list (`... AS name`, or the column after its alias)."""
    parts, depth, current = [], 0, ""
    for char in fields:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip().rsplit(" AS ", 1)[-1].rsplit(".", 1)[-1] for part in parts]


@pytest.mark.parametrize(
    ("fields", "model"),
    [
        (CONFIGURATION_FIELDS, Configuration),
        (APPLICATION_FIELDS, Application),
        (APPLICATION_SUMMARY_FIELDS, ApplicationSummary),
        (REVISION_FIELDS, Revision),
    ],
)
def test_each_representation_has_its_models_fields_in_order(fields, model):
    assert names(fields) == list(model.model_fields)


def test_rows_become_representations_and_pages():
    row = {"etag": '"4"', "body": '{"a":"ü"}'}

    assert Representation.from_row(row) == Representation('{"a":"ü"}'.encode(), '"4"')
    assert Representation.from_row(row | {"etag": None}).etag is None
    assert Representation.from_row(row).size == len('{"a":"ü"}'.encode())
    assert Page.from_row({"body": "[1,2]", "last": "B", "more": True}) == Page(b"[1,2]", "B")
    assert Page.from_row({"body": "[]", "last": None, "more": False, "etag": '"7"'}).etag == '"7"'
    assert Page.from_row({"body": "[1,2]", "last": "B", "more": False}).next_cursor is None
    assert Page.from_row({"body": "[]", "last": None, "more": False}).json() == []
