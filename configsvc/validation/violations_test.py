import jsonschema_rs
import pytest

from configsvc.validation.violations import MAX_VIOLATIONS, violations

SECRET = "s3cr3t-value"


def items(schema, instance, **options):
    validator = jsonschema_rs.Draft202012Validator(schema)
    return violations(validator.iter_errors(instance), ["body", "config"], **options)


@pytest.mark.parametrize(
    ("schema", "instance", "loc", "msg", "type"),
    [
        ({"type": "integer"}, SECRET, [], "must be of type integer", "schema.type"),
        ({"type": ["integer", "null"]}, SECRET, [], "must be of type null or integer", "schema.type"),
        ({"required": ["host"]}, {}, ["host"], "is required", "schema.required"),
        ({"minimum": 1}, 0, [], "must be at least 1", "schema.minimum"),
        ({"exclusiveMaximum": 2.5}, 3, [], "must be less than 2.5", "schema.exclusiveMaximum"),
        ({"maxLength": 3}, SECRET, [], "must be at most 3 characters long", "schema.maxLength"),
        ({"pattern": "^[a-z]+$"}, SECRET, [], "must match the pattern ^[a-z]+$", "schema.pattern"),
        ({"enum": ["a", "b"]}, SECRET, [], "must be one of the values the schema's enum lists", "schema.enum"),
        ({"const": "a"}, SECRET, [], "must equal the schema's const value", "schema.const"),
        ({"multipleOf": 3}, 4, [], "must be a multiple of 3", "schema.multipleOf"),
        ({"properties": {"a": False}}, {"a": SECRET}, ["a"], "is not allowed here", "schema.false"),
        ({"prefixItems": [{}], "items": False}, [1, SECRET], [1], "is not allowed here", "schema.items"),
        (
            {"additionalProperties": False},
            {"a": SECRET},
            [],
            "has properties the schema does not allow (additionalProperties)",
            "schema.additionalProperties",
        ),
        (
            {"propertyNames": {"maxLength": 2}},
            {"long": 1},
            ["long"],
            "is a property name the schema's propertyNames refuses",
            "schema.propertyNames",
        ),
        (
            {"oneOf": [{"type": "string"}, {"maxLength": 99}]},
            SECRET,
            [],
            "must match exactly one of the schemas under oneOf (it matches several)",
            "schema.oneOf",
        ),
        (
            {"anyOf": [{"type": "integer"}]},
            SECRET,
            [],
            "must match at least one of the schemas under anyOf",
            "schema.anyOf",
        ),
        ({"uniqueItems": True}, [SECRET, SECRET], [], "must not contain duplicate items", "schema.uniqueItems"),
    ],
)
def test_each_violation_says_where_and_why_from_the_schema_never_from_the_value(schema, instance, loc, msg, type):
    found = items(schema, instance)

    assert found == [{"loc": ["body", "config", *loc], "msg": msg, "type": type}]
    assert SECRET not in str(found)


def test_each_unexpected_property_is_an_item_of_its_own():
    found = items({"properties": {"x": {}}, "additionalProperties": False}, {"a": 1, "b": 2})

    assert [item["loc"] for item in found] == [["body", "config", "a"], ["body", "config", "b"]]
    assert {item["type"] for item in found} == {"schema.additionalProperties"}


def test_at_most_fifty_items_and_a_type_prefix_of_choice():
    found = items(
        {"additionalProperties": {"type": "string"}}, {f"k{i}": i for i in range(80)}, type_prefix="json_schema"
    )

    assert len(found) == MAX_VIOLATIONS
    assert found[0]["type"] == "json_schema.type"
