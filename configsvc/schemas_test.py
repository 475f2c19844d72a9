import pytest
from pydantic import ValidationError

from configsvc.schemas import ApplicationWrite, ConfigurationCreate, ConfigurationReplace

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
