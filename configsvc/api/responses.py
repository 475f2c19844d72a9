"""Single-resource responses: the JSON body with its strong ETag (and Location on create)."""

from typing import Any

from fastapi import Response
from pydantic import BaseModel

from configsvc.api.conditions import etag
from configsvc.api.problems import problem_responses
from configsvc.db import RenderedResource

JSON = "application/json"


class Versioned(BaseModel):
    version: int


def resource_response(model: Versioned, *, status_code: int = 200, location: str | None = None) -> Response:
    headers = {"ETag": etag(model.version)}
    if location is not None:
        headers["Location"] = location
    return Response(model.model_dump_json().encode(), status_code=status_code, headers=headers, media_type=JSON)


def rendered_response(rendered: RenderedResource) -> Response:
    """A resource whose JSON PostgreSQL rendered: the bytes go out as they are."""
    return Response(rendered.body, headers={"ETag": etag(rendered.version)}, media_type=JSON)


def documented_headers(*, location: bool = False, replay: bool = False) -> dict[str, Any]:
    """OpenAPI `headers` of a single-resource success response."""
    headers: dict[str, Any] = {
        "ETag": {"description": 'The strong ETag: the version in quotes, e.g. "3".', "schema": {"type": "string"}}
    }
    if location:
        headers["Location"] = {"description": "The new resource's path.", "schema": {"type": "string"}}
    if replay:
        headers["Idempotent-Replayed"] = {
            "description": "`true` when this is the stored response of an earlier request with the same key.",
            "schema": {"type": "string"},
        }
    return headers


# OpenAPI `responses` shared by the routes of both resources.
CREATED_RESPONSES = {201: {"headers": documented_headers(location=True, replay=True)}} | problem_responses(
    400, 409, 413, 415, 422
)
REPLACED_RESPONSES = {200: {"headers": documented_headers()}} | problem_responses(400, 404, 409, 412, 413, 415, 422)
