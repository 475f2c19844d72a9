from typing import Annotated

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import Field
from starlette.requests import Request

from configsvc.api.http.query import QueryModel, parse


class Q(QueryModel):
    limit: Annotated[int, Field(ge=1, le=10, description="Page size.")] = 5
    name: Annotated[str, Field(min_length=1, description="A name.")]


def request(query: str) -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


def test_the_query_becomes_the_model_and_unknown_parameters_are_ignored():
    assert parse(Q, request("name=a%20b&limit=3&other=x")) == Q(name="a b", limit=3)
    assert parse(Q, request("name=a")).limit == 5


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("limit=3", [(("query", "name"), "missing")]),
        ("name=&limit=11", [(("query", "limit"), "less_than_equal"), (("query", "name"), "string_too_short")]),
        ("name=a&limit=ten", [(("query", "limit"), "int_parsing")]),
        ("name=a&name=b&limit=1&limit=2", [(("query", "limit"), "repeated"), (("query", "name"), "repeated")]),
    ],
)
def test_errors_are_fastapis_422s_on_the_query(query, errors):
    with pytest.raises(RequestValidationError) as raised:
        parse(Q, request(query))

    assert sorted((error["loc"], error["type"]) for error in raised.value.errors()) == errors
    assert all("input" not in error for error in raised.value.errors())
