from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from configsvc.fields import ConfigObject, Name, Timestamp, UlidId, rfc3339_utc

ULID = "01JD8X7Q5V9T0M3K2R6W4Y1Z8N"
ulid_field = TypeAdapter(UlidId)
config_field = TypeAdapter(ConfigObject)
name_field = TypeAdapter(Name)


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def test_ulids_are_accepted_in_either_case_and_returned_upper_case():
    assert ulid_field.validate_python(ULID.lower()) == ULID
    assert ulid_field.validate_python(ULID) == ULID


@pytest.mark.parametrize(
    "value",
    [
        ULID[:-1],  # too short
        ULID + "0",  # too long
        ULID[:-1] + "U",  # not in Crockford's alphabet
        "8" + ULID[1:],  # first character above 7 overflows 128 bits
        "",
        12345,  # JSON numbers are not ids, even though python-ulid would take them
        None,
    ],
)
def test_malformed_ulids_are_refused(value):
    with pytest.raises(ValidationError) as raised:
        ulid_field.validate_python(value)

    assert raised.value.errors()[0]["type"] in {"ulid_format", "ulid_type"}


@pytest.mark.parametrize("value", ["a\x00b", "\ud800"])
def test_text_postgres_cannot_store_is_refused(value):
    with pytest.raises(ValidationError):
        name_field.validate_python(value)


def test_config_may_nest_32_levels_but_not_33():
    assert config_field.validate_python(nested(32)) == nested(32)

    with pytest.raises(ValidationError, match="32 levels"):
        config_field.validate_python(nested(33))


def test_lists_count_towards_the_depth():
    value: object = {}
    for _ in range(32):
        value = [value]
    with pytest.raises(ValidationError, match="32 levels"):
        config_field.validate_python({"k": value})


@pytest.mark.parametrize(
    "value",
    [
        {"n": float("nan")},
        {"n": [float("inf")]},
        {"bad\x00key": 1},
        {"k": {"v": "nul\x00inside"}},
    ],
)
def test_config_content_jsonb_cannot_hold_is_refused(value):
    with pytest.raises(ValidationError):
        config_field.validate_python(value)


def test_config_must_be_an_object():
    for value in ([], "text", 1, None):
        with pytest.raises(ValidationError):
            config_field.validate_python(value)


def test_timestamps_are_rfc3339_utc_with_microseconds_and_z():
    local = datetime(2026, 11, 26, 7, 5, 4, tzinfo=timezone(timedelta(hours=1)))

    assert rfc3339_utc(local) == "2026-11-26T06:05:04.000000Z"
    assert TypeAdapter(Timestamp).dump_python(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == (
        "2026-01-02T03:04:05.000006Z"
    )
