"""A JSON Schema validation error as an item of a 422's `errors`: where (`loc`), why (`msg`), which
keyword (`type`, `schema.<keyword>`).

The messages are written here, from the schema's side of each error (its limits, types, patterns),
never from jsonschema-rs' own, which quote the value that failed: a config value may be a secret,
and an error never echoes submitted values.
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema_rs import ValidationError, ValidationErrorKind

MAX_VIOLATIONS = 50

Loc = list[str | int]

_FIXED_MESSAGES = {
    "enum": "must be one of the values the schema's enum lists",
    "const": "must equal the schema's const value",
    "uniqueItems": "must not contain duplicate items",
    "contains": "must contain the items the schema's contains asks for",
    "not": "must not match the schema under not",
    "anyOf": "must match at least one of the schemas under anyOf",
    "allOf": "must match every schema under allOf",
    "false": "is not allowed here",
}
_LIMITS = {
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be greater than {}",
    "exclusiveMaximum": "must be less than {}",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minProperties": "must have at least {} properties",
    "maxProperties": "must have at most {} properties",
}


# Keywords whose value maps names to subschemas: a `false` found under one is named by the map's keyword.
_MAPS = {"properties", "patternProperties", "$defs", "dependentSchemas"}


def keyword(error: ValidationError) -> str:
    """The keyword that failed, as `schema.<keyword>` names it: a `false` subschema by the keyword
    it stands under (`items: false` is schema.items), else schema.false."""
    if isinstance(error.kind, ValidationErrorKind.FalseSchema):
        path = error.schema_path
        if path and isinstance(path[-1], str) and not (len(path) > 1 and path[-2] in _MAPS):
            return path[-1]
        return "false"
    return error.kind.name


def violations(
    errors: Iterable[ValidationError], prefix: Loc, *, type_prefix: str = "schema", limit: int = MAX_VIOLATIONS
) -> list[dict[str, Any]]:
    """At most `limit` items (an error may give several: one per unexpected property)."""
    items: list[dict[str, Any]] = []
    for error in errors:
        for loc, message in _located(error):
            items.append({"loc": [*prefix, *loc], "msg": message, "type": f"{type_prefix}.{keyword(error)}"})
            if len(items) >= limit:
                return items
    return items


def _located(error: ValidationError) -> Iterator[tuple[Loc, str]]:
    path: Loc = list(error.instance_path)
    kind = error.kind
    name = keyword(error)
    match kind:
        case ValidationErrorKind.Required(property):
            yield [*path, property], "is required"
        case ValidationErrorKind.AdditionalProperties(unexpected):
            for property in unexpected:
                yield [*path, property], "is not allowed here (additionalProperties)"
        case ValidationErrorKind.UnevaluatedProperties(unexpected):
            for property in unexpected:
                yield [*path, property], "is not allowed here (unevaluatedProperties)"
        case ValidationErrorKind.FalseSchema() if name == "additionalProperties":
            # jsonschema-rs reports a lone `additionalProperties: false` once, without the names.
            yield path, "has properties the schema does not allow (additionalProperties)"
        case ValidationErrorKind.PropertyNames(inner):
            where = [*path, inner.instance] if isinstance(inner.instance, str) else path
            yield where, "is a property name the schema's propertyNames refuses"
        case ValidationErrorKind.Type(types):
            yield path, "must be of type " + " or ".join(types)
        case ValidationErrorKind.Pattern(pattern):
            yield path, f"must match the pattern {pattern}"
        case ValidationErrorKind.MultipleOf(multiple_of):
            yield path, f"must be a multiple of {_number(multiple_of)}"
        case ValidationErrorKind.Format(format):
            yield path, f"must be a valid {format}"
        case ValidationErrorKind.OneOfNotValid():
            yield path, "must match exactly one of the schemas under oneOf (it matches none)"
        case ValidationErrorKind.OneOfMultipleValid():
            yield path, "must match exactly one of the schemas under oneOf (it matches several)"
        case _ if name in _LIMITS:
            yield path, _LIMITS[name].format(_number(getattr(kind, "limit", "?")))
        case ValidationErrorKind.FalseSchema():
            yield path, _FIXED_MESSAGES["false"]
        case _:
            yield path, _FIXED_MESSAGES.get(name, f"does not satisfy the schema's {name}")


def _number(value: object) -> str:
    try:
        return json.dumps(value)
    except TypeError:  # a Decimal
        return str(value)
