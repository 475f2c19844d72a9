"""A configuration's JSON Schema, compiled once into a validator (jsonschema-rs, draft 2020-12), and
refused when the service could not use it safely.

Safe means: it never makes the service fetch anything (every `$ref` and `$dynamicRef` points inside
the schema, `$schema` names draft 2020-12 or nothing, and the retriever refuses whatever slipped
through), and its regular expressions run in linear time (the `regex` crate, which has no
backtracking: a `pattern` with lookaround or backreferences is refused when the schema is set).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema_rs import Draft202012Validator, RegexOptions, ValidationError, Validator

from configsvc.errors import InvalidSchema
from configsvc.validation.violations import Loc, violations

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
INVALID = "the body is not a JSON Schema this service accepts (draft 2020-12, local references only); see errors"
META_TYPES = "json_schema"

# Where a schema holds subschemas (draft 2020-12's applicators and $defs): the only places a reference
# is resolved from. Anything else (const, enum, default, unknown keywords) is data.
_SUBSCHEMA = {
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "if",
    "items",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
}
_SUBSCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
_SUBSCHEMA_MAPS = {"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"}
_REFERENCES = ("$ref", "$dynamicRef")

_META = Draft202012Validator({"$ref": DRAFT_2020_12})


class ReferenceRefused(Exception):
    """Raised by the retriever: a schema never makes the service fetch anything."""


def refuse_retrieval(uri: str) -> Any:
    raise ReferenceRefused("references outside the schema are not followed")


@dataclass(frozen=True, slots=True)
class Compiled:
    """A validator, with the size of the schema it was compiled from (what its cache entry costs)."""

    validator: Validator
    size: int

    def violations(self, config: dict[str, Any], loc: Loc) -> list[dict[str, Any]]:
        """One item per violation (at most 50), `loc` before the path to each value; [] when valid."""
        if self.validator.is_valid(config):  # the common case, without building any error
            return []
        return violations(self.validator.iter_errors(config), loc)


def compile_schema(schema: dict[str, Any], *, loc: Loc) -> Compiled:
    """The schema's validator, or InvalidSchema naming what is wrong (located under `loc`)."""
    refused = list(_unsafe(schema, loc))
    if refused:
        raise InvalidSchema(INVALID, refused[:50])
    errors = violations(_META.iter_errors(schema), loc, type_prefix=META_TYPES)
    if errors:
        raise InvalidSchema(INVALID, errors)
    try:
        validator = Draft202012Validator(schema, retriever=refuse_retrieval, pattern_options=RegexOptions())
    except ValidationError as error:  # what the meta-schema cannot say: a pattern the regex crate refuses, ...
        raise InvalidSchema(INVALID, violations([error], loc, type_prefix=META_TYPES)) from None
    except ValueError:  # jsonschema-rs' recursion limit
        raise InvalidSchema(INVALID, [_item(loc, "is nested too deeply to compile", "depth")]) from None
    return Compiled(validator, len(json.dumps(schema)))


def _unsafe(schema: dict[str, Any], loc: Loc) -> Iterator[dict[str, Any]]:
    """What would make the service look outside the schema, wherever a subschema can be."""
    stack: list[tuple[Any, Loc]] = [(schema, loc)]
    while stack:
        node, where = stack.pop()
        if not isinstance(node, dict):
            continue
        declared = node.get("$schema")
        if declared is not None and declared not in (DRAFT_2020_12, DRAFT_2020_12 + "#"):
            yield _item([*where, "$schema"], f"must be {DRAFT_2020_12} (or left out)", "$schema")
        for keyword in _REFERENCES:
            reference = node.get(keyword)
            if isinstance(reference, str) and not reference.startswith("#"):
                message = "must point inside the schema (start with #): nothing is fetched"
                yield _item([*where, keyword], message, keyword)
        for keyword, value in node.items():
            if keyword in _SUBSCHEMA:
                stack.append((value, [*where, keyword]))
            elif keyword in _SUBSCHEMA_LISTS and isinstance(value, list):
                stack.extend((item, [*where, keyword, index]) for index, item in enumerate(value))
            elif keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
                stack.extend((item, [*where, keyword, name]) for name, item in value.items())


def _item(loc: Loc, message: str, keyword: str) -> dict[str, Any]:
    return {"loc": loc, "msg": message, "type": f"{META_TYPES}.{keyword}"}
