"""OpenAPI `parameters` entries for what a route reads from the request itself rather than declares
(FastAPI's solving of a declared header parameter costs the hottest routes dearly), and for query
strings read as one model."""

from typing import Any

from configsvc.api.http.conditions import ENTITY_TAG_LIST_PATTERN, IF_NONE_MATCH
from configsvc.api.http.query import QueryModel
from configsvc.api.http.watching import PREFER

IF_NONE_MATCH_DESCRIPTION = (
    'Answer 304 (no body) if the current ETag is listed (e.g. `"3"`; weak comparison, so `W/"3"` matches too), '
    "or `*`. Anything that is not an entity-tag list is a 422."
)
# GET configuration, the hottest route, reads If-None-Match from the request itself: as a declared
# Header parameter it cost 99 of the route's 580 Python calls per request (FastAPI walks every
# request header for it). Its OpenAPI entry is written here instead.
IF_NONE_MATCH_PARAMETER = {
    "name": IF_NONE_MATCH,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": ENTITY_TAG_LIST_PATTERN, "title": IF_NONE_MATCH, "examples": ['"1"']},
    "description": IF_NONE_MATCH_DESCRIPTION,
}
PREFER_PARAMETER = {
    "name": PREFER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "examples": ["wait=30"]},
    "description": "`wait=N` with If-None-Match: hold the request while that ETag is current, up to N "
    "seconds (capped by the server's WATCH_MAX_SECONDS); then 200 with the new representation (404 if "
    "it was deleted), or 304 at the deadline. A held response says `Preference-Applied: wait=N`.",
}


def query_parameters(model: type[QueryModel], *others: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI `parameters` of a route whose query is `model`, and `others` (for `openapi_extra`)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    declared = []
    for name, property_schema in schema["properties"].items():
        entry = {"name": name, "in": "query", "required": name in required, "schema": property_schema}
        if "description" in property_schema:
            entry["description"] = property_schema["description"]
        declared.append(entry)
    return {"parameters": declared + list(others)}
