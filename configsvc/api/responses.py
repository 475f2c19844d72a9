"""Responses carrying a representation: its bytes as rendered, its strong ETag (and Location on create)."""

from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from configsvc.api.conditions import IF_NONE_MATCH, none_match
from configsvc.api.problems import problem_responses
from configsvc.representations import Page, Representation

JSON = "application/json"


def representation_response(
    representation: Representation, *, status_code: int = 200, location: str | None = None
) -> Response:
    headers = {} if representation.etag is None else {"ETag": representation.etag}
    if location is not None:
        headers["Location"] = location
    return Response(representation.body, status_code=status_code, headers=headers, media_type=JSON)


def page_response(page: Page, *, path: str, limit: int, cursor_param: str) -> Response:
    """A page of a collection; while more remain, a `Link` to the next one (same limit, the cursor after)."""
    headers = {} if page.etag is None else {"ETag": page.etag}
    if page.next_cursor is not None:
        query = urlencode({"limit": limit, cursor_param: page.next_cursor})
        headers["Link"] = f'<{path}?{query}>; rel="next"'
    return Response(page.body, headers=headers, media_type=JSON)


ETAG_HEADER = {
    "description": 'The strong ETag: `"3"` for a configuration (its version), `"2.7"` for an application '
    '(version and seq), `"7"` for an application\'s configurations (its seq).',
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+(\\.[0-9]+)?"$'},
}
# On list responses while more remain.
LINK_HEADER = {
    "description": 'The next page, while more remain: `</api/v1/...?limit=100&after=...>; rel="next"`.',
    "schema": {"type": "string"},
}
LIST_RESPONSES = {200: {"headers": {"Link": LINK_HEADER}}}
DELETED_RESPONSES = {204: {"description": "Deleted."}}
NOT_MODIFIED = {304: {"description": "Not modified: the ETag sent is current.", "headers": {"ETag": ETAG_HEADER}}}


def conditional(request: Request, value: Representation | Page, **page: Any) -> Response:
    """`value`'s response, or a bodiless 304 if If-None-Match lists its ETag (with `page`'s
    arguments, `value` is a page; see `page_response`)."""
    return conditional_response(value, request.headers.get(IF_NONE_MATCH), **page)


def conditional_response(value: Representation | Page, if_none_match: str | None, **page: Any) -> Response:
    if value.etag is not None and none_match(if_none_match, value.etag):
        return Response(status_code=304, headers={"ETag": value.etag})
    if isinstance(value, Page):
        return page_response(value, **page)
    return representation_response(value)


def documented_headers(*, location: bool = False, replay: bool = False) -> dict[str, Any]:
    """OpenAPI `headers` of a single-resource success response."""
    headers: dict[str, Any] = {"ETag": ETAG_HEADER}
    if location:
        headers["Location"] = {
            "description": "The new resource's path.",
            "required": True,
            "schema": {"type": "string"},
        }
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
