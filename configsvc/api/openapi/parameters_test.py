from typing import Annotated

from pydantic import Field

from configsvc.api.http.query import QueryModel
from configsvc.api.openapi.parameters import IF_NONE_MATCH_PARAMETER, query_parameters


class Q(QueryModel):
    limit: Annotated[int, Field(ge=1, le=10, description="Page size.")] = 5
    name: Annotated[str, Field(min_length=1, description="A name.")]


def test_the_openapi_parameters_come_from_the_model():
    extra = {"name": "If-None-Match", "in": "header"}

    declared = query_parameters(Q, extra)["parameters"]

    assert [(p["name"], p["in"], p.get("required")) for p in declared] == [
        ("limit", "query", False),
        ("name", "query", True),
        ("If-None-Match", "header", None),
    ]
    assert declared[0]["schema"]["maximum"] == 10
    assert declared[0]["description"] == "Page size."


def test_if_none_match_is_documented_as_an_entity_tag_list_that_is_never_null():
    assert IF_NONE_MATCH_PARAMETER["schema"]["type"] == "string"
    assert IF_NONE_MATCH_PARAMETER["required"] is False
