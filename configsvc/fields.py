"""Field types shared by the request and response models: ids, names, timestamps, config objects."""

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, TypeAdapter, WithJsonSchema
from pydantic_core import PydanticCustomError
from pydantic_extra_types.ulid import ULID

MAX_CONFIG_DEPTH = 32
# A JSON Schema nests about two levels per level of the config it describes (properties, then the
# property's schema), with room for combinators; jsonschema-rs' own limit is a little deeper.
MAX_SCHEMA_DEPTH = 128
ULID_PATTERN = "^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"

_ULID = TypeAdapter(ULID)


def canonical_ulid(value: object) -> str:
    """Accept a ULID string in either case; return it in canonical upper-case form."""
    if not isinstance(value, str):
        raise PydanticCustomError("ulid_type", "Input should be a ULID string")
    try:
        return str(_ULID.validate_python(value.upper()))
    except ValueError:
        raise PydanticCustomError(
            "ulid_format", "Input should be a 26-character ULID (Crockford base32, first character 0-7)"
        ) from None


def check_text(value: str) -> str:
    """Refuse what PostgreSQL text cannot store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise PydanticCustomError("text_nul", "Text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_encoding", "Text must be valid Unicode (no lone surrogates)") from None
    return value


def check_config(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object PostgreSQL's jsonb can store: bounded depth, finite numbers, clean text."""
    return check_json_object(value, "config", MAX_CONFIG_DEPTH)


def check_schema(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema document, by the same rules as a config, nested at most MAX_SCHEMA_DEPTH levels."""
    return check_json_object(value, "schema", MAX_SCHEMA_DEPTH)


def check_json_object(value: dict[str, Any], what: str, max_depth: int) -> dict[str, Any]:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                message = f"{what} must not be nested more than {{max_depth}} levels"
                raise PydanticCustomError(f"{what}_depth", message, {"max_depth": max_depth})
            children = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict):
                for key in item:
                    check_text(key)
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise PydanticCustomError(f"{what}_number", f"{what} numbers must be finite (no NaN or Infinity)")
    return value


def rfc3339_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_ULID_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "pattern": ULID_PATTERN,
        "minLength": 26,
        "maxLength": 26,
        "examples": ["01JD8X7Q5V9T0M3K2R6W4Y1Z8N"],
    }
)
_CANONICAL = re.compile(ULID_PATTERN)


def ulid_in_path(value: object) -> str:
    """A path or query id: a string matching the canonical pattern is a valid ULID, so the pattern
    is the whole check (decoding it with the ULID type cost every GET a sizeable part of its time);
    anything else gets the ULID type's own error."""
    if isinstance(value, str) and _CANONICAL.fullmatch(value):
        return value.upper()
    return canonical_ulid(value)


UlidId = Annotated[str, BeforeValidator(canonical_ulid), _ULID_SCHEMA]
UlidPath = Annotated[str, BeforeValidator(ulid_in_path), _ULID_SCHEMA]
# The text rules in the schema too (so generated data and clients know them): no NUL characters.
# Lone surrogates cannot be written in JSON text that a client would produce, so they are left out.
NO_NUL_PATTERN = "^[^\\u0000]*$"


class _NoNulInSchema:
    """Adds the pattern to the string's schema, whatever Field or Query around it says (a Query's
    own description would replace a json_schema_extra)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        schema["pattern"] = NO_NUL_PATTERN
        return schema


MAX_NAME = 256
Name = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME, description="1 to 256 characters; no NUL characters."),
    _NoNulInSchema(),
    AfterValidator(check_text),
]
_CommentText = Annotated[str, Field(max_length=1024), _NoNulInSchema()]
Comments = Annotated[
    _CommentText | None,
    Field(description="At most 1024 characters; no NUL characters."),
    AfterValidator(lambda v: v if v is None else check_text(v)),
]
# One shared schema component for every `config` (create, replace, configuration, revision), so a
# generated client has one type for it. Pydantic resolves every $ref it sees, so its schemas carry
# a marker that the OpenAPI document replaces with CONFIG_REF (see `main._openapi`).
CONFIG_REF = {"$ref": "#/components/schemas/Config"}
CONFIG_MARKER = "x-configsvc-config"
ConfigObject = Annotated[dict[str, Any], AfterValidator(check_config), WithJsonSchema({CONFIG_MARKER: True})]
ConfigValue = Annotated[dict[str, Any], WithJsonSchema({CONFIG_MARKER: True})]
# A JSON Schema, shared the same way (the JsonSchema component): any object, checked by the service.
SCHEMA_REF = {"$ref": "#/components/schemas/JsonSchema"}
SCHEMA_MARKER = "x-configsvc-json-schema"
SchemaObject = Annotated[dict[str, Any], AfterValidator(check_schema), WithJsonSchema({SCHEMA_MARKER: True})]
# Any JSON value inside, said as `additionalProperties: true`: a recursive union (string, number,
# ..., array of itself, Config) said more, but openapi-python-client could not parse it and dropped
# Config and everything holding one (creating or replacing a configuration among them). What the
# schema no longer says (depth, NUL characters in strings, finite numbers) the description does, and
# the service checks on every write.
CONFIG_COMPONENTS: dict[str, Any] = {
    "Config": {
        "title": "Config",
        "description": (
            "A JSON object of name/value pairs: any JSON values inside (objects, arrays, strings, numbers, "
            f"booleans, null), nested at most {MAX_CONFIG_DEPTH} levels; no NUL characters in names or strings, "
            "and only finite numbers. The service refuses anything else with a 422 naming the rule."
        ),
        "type": "object",
        "propertyNames": {"pattern": NO_NUL_PATTERN},
        "additionalProperties": True,
    },
    "JsonSchema": {
        "title": "JsonSchema",
        "description": (
            "A JSON Schema (draft 2020-12) as a JSON object, that a configuration's config must satisfy. Every "
            "`$ref` and `$dynamicRef` must point inside it (`#...`): nothing is ever fetched; `$schema`, if "
            "present, names draft 2020-12; `pattern`s have no lookaround or backreferences (they run in linear "
            f"time); nested at most {MAX_SCHEMA_DEPTH} levels, under the same text and number rules as a config. "
            "The service refuses anything else with a 422 naming what is wrong."
        ),
        "type": "object",
        "propertyNames": {"pattern": NO_NUL_PATTERN},
        "additionalProperties": True,
    },
}
Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-26T06:05:04.123456Z"]}),
]
