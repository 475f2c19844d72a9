import time

import pytest

from configsvc.errors import InvalidSchema
from configsvc.validation.compiler import ReferenceRefused, compile_schema, refuse_retrieval

LOC = ["body"]


def refused(schema):
    with pytest.raises(InvalidSchema) as raised:
        compile_schema(schema, loc=LOC)
    return [(error["loc"], error["type"]) for error in raised.value.errors]


def test_a_schema_compiles_into_a_validator_that_lists_violations():
    compiled = compile_schema({"properties": {"port": {"type": "integer"}}}, loc=LOC)

    assert compiled.violations({"port": 5432}, ["body", "config"]) == []
    assert compiled.violations({"port": "x"}, ["body", "config"]) == [
        {"loc": ["body", "config", "port"], "msg": "must be of type integer", "type": "schema.type"}
    ]
    assert compiled.size > 0


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"$ref": "http://127.0.0.1:9/s.json"}, ["body", "$ref"]),
        ({"$ref": "file:///etc/passwd"}, ["body", "$ref"]),
        ({"$ref": "other.json"}, ["body", "$ref"]),
        ({"properties": {"a": {"items": {"$ref": "http://x/y"}}}}, ["body", "properties", "a", "items", "$ref"]),
        ({"allOf": [{}, {"$dynamicRef": "http://x/y#meta"}]}, ["body", "allOf", 1, "$dynamicRef"]),
        ({"$defs": {"d": {"not": {"$ref": "//x/y"}}}}, ["body", "$defs", "d", "not", "$ref"]),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, ["body", "$schema"]),
        ({"properties": {"a": {"$schema": "http://127.0.0.1:9/meta"}}}, ["body", "properties", "a", "$schema"]),
    ],
)
def test_anything_that_would_be_fetched_is_refused_where_it_is(schema, where):
    assert (where, f"json_schema.{where[-1]}") in refused(schema)


def test_local_references_and_data_that_looks_like_a_reference_are_fine():
    schema = {
        "$id": "https://configsvc.invalid/root",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"port": {"type": "integer"}},
        "properties": {"port": {"$ref": "#/$defs/port"}, "$ref": {"const": {"$ref": "http://x/y"}}},
    }

    compiled = compile_schema(schema, loc=LOC)

    assert compiled.violations({"port": "x"}, []) != []


def test_the_retriever_fetches_nothing():
    with pytest.raises(ReferenceRefused):
        refuse_retrieval("http://127.0.0.1:9/s.json")


def test_what_the_meta_schema_refuses_is_named_where_it_is():
    assert sorted(refused({"type": 5, "properties": {"a": {"minLength": -1}}})) == [
        (["body", "properties", "a", "minLength"], "json_schema.minimum"),
        (["body", "type"], "json_schema.anyOf"),
    ]


def test_patterns_run_in_linear_time_and_backtracking_features_are_refused():
    compiled = compile_schema({"pattern": "^(a+)+$"}, loc=LOC)

    started = time.perf_counter()
    errors = compiled.violations("a" * 50_000 + "!", [])
    assert time.perf_counter() - started < 0.1
    assert [error["type"] for error in errors] == ["schema.pattern"]
    assert refused({"pattern": "(a)\\1"}) == [(["body", "pattern"], "json_schema.format")]
    assert refused({"patternProperties": {"(?<=x)y": {}}}) != []


def test_a_schema_too_deep_to_compile_is_refused_not_crashed():
    schema: dict = {}
    node = schema
    for _ in range(300):
        node["not"] = {}
        node = node["not"]

    assert refused(schema) == [(["body"], "json_schema.depth")]
