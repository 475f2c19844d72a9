"""Query parameters read as one Pydantic model, in one validation call, instead of by FastAPI.

FastAPI 0.116 validates each declared query parameter on its own and inspects its type on every
request, which costs a cached list page several times what one model validation does (README:
Performance). A route takes `request` and calls `parse(Model, request)`; its OpenAPI parameters come
from the model (`openapi/parameters.py`), and its errors look exactly like FastAPI's: 422 with
`loc` ["query", name].
"""

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError


class QueryModel(BaseModel):
    """Unknown parameters are ignored, as FastAPI ignores them."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def parse[M: QueryModel](model: type[M], request: Request) -> M:
    """The query as `model`; a repeated parameter is ambiguous (`?limit=1&limit=500`), so refused."""
    return parse_items(model, request.query_params.multi_items())


def parse_items[M: QueryModel](model: type[M], items: list[tuple[str, str]]) -> M:
    """`parse` for a query already split into (name, value) pairs (the fast path has no Request)."""
    keys = [key for key, _ in items]
    if len(keys) != len(set(keys)):
        message = "Query parameter must not be repeated"
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        raise RequestValidationError([{"loc": ("query", key), "msg": message, "type": "repeated"} for key in repeated])
    try:
        return model.model_validate(dict(items))
    except ValidationError as error:
        problems = error.errors(include_input=False, include_url=False)
        raise RequestValidationError(
            [
                {"loc": ("query", *problem["loc"]), "msg": problem["msg"], "type": problem["type"]}
                for problem in problems
            ]
        ) from None
