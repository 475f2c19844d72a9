from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from configsvc.schemas import Application, ApplicationWrite, Configuration, ConfigurationCreate, ConfigurationReplace

APP = "01JD8X7Q5V9T0M3K2R6W4Y1Z8N"


def error_types(model: type, data: dict) -> list[tuple]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return [(error["loc"], error["type"]) for error in raised.value.errors()]


def test_unknown_fields_are_rejected():
    assert error_types(ApplicationWrite, {"name": "a", "colour": "red"}) == [(("colour",), "extra_forbidden")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": ""}, [(("name",), "string_too_short")]),
        ({"name": "x" * 257}, [(("name",), "string_too_long")]),
        ({"name": "a", "comments": "x" * 1025}, [(("comments",), "string_too_long")]),
        ({}, [(("name",), "missing")]),
    ],
)
def test_application_limits(data, expected):
    assert error_types(ApplicationWrite, data) == expected


def test_names_and_comments_at_their_limits_are_fine():
    application = ApplicationWrite(name="x" * 256, comments="y" * 1024)

    assert len(application.name) == 256


def test_config_defaults_to_an_empty_object_on_create():
    assert ConfigurationCreate(application_id=APP, name="prod").config == {}


def test_config_null_is_refused():
    assert error_types(ConfigurationCreate, {"application_id": APP, "name": "p", "config": None}) == [
        (("config",), "dict_type")
    ]


def test_replace_requires_config_and_allows_omitting_application_id():
    assert error_types(ConfigurationReplace, {"name": "p"}) == [(("config",), "missing")]
    assert ConfigurationReplace(name="p", config={}).application_id is None


def test_ids_in_bodies_are_canonicalised():
    assert ConfigurationCreate(application_id=APP.lower(), name="p").application_id == APP


def test_replace_refuses_an_explicit_null_application_id():
    assert error_types(ConfigurationReplace, {"application_id": None, "name": "p", "config": {}}) == [
        (("application_id",), "ulid_type")
    ]


def test_a_response_from_a_row_serialises_exactly_like_a_validated_one():
    now = datetime(2026, 11, 26, 6, 5, 4, 123456, tzinfo=UTC)
    configuration = {
        "id": "01JD8X7Q5V9T0M3K2R6W4Y1Z8N",
        "application_id": "01JD8X7Q5V9T0M3K2R6W4Y1Z8M",
        "name": "db",
        "comments": None,
        "config": {"pool": {"size": 5}, "hosts": ["a", "b"], "ratio": 0.5},
        "version": 3,
        "created_at": now,
        "updated_at": now,
    }
    application = {k: configuration[k] for k in ("id", "name", "comments", "version", "created_at", "updated_at")}
    application["configuration_ids"] = [configuration["id"]]

    for model, row in ((Configuration, configuration), (Application, application)):
        assert model.from_row(row).model_dump_json() == model.model_validate(row).model_dump_json()
        assert model.from_row(row) == model.model_validate(row)
