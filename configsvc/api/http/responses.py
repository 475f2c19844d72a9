"""Responses carrying a representation: its bytes as rendered, its strong ETag (and Location on create)."""

from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from configsvc.api.http.conditions import IF_NONE_MATCH, none_match
from configsvc.representations import Page, Representation

JSON = "application/json"
_JSON_CONTENT_TYPE = (b"content-type", JSON.encode())


class EncodedResponse(Response):
    """A Response built from headers already encoded, as Starlette would encode them: every hot
    read makes one, and Starlette's own constructor (a mapping of str, lower-cased and encoded one
    by one) cost more than the rest of a cached read's response."""

    def __init__(self, status_code: int, raw_headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = raw_headers


def representation_response(
    representation: Representation, *, status_code: int = 200, location: str | None = None
) -> Response:
    body = representation.body
    headers = [] if representation.etag is None else [(b"etag", representation.etag.encode("latin-1"))]
    if location is not None:
        headers.append((b"location", location.encode("latin-1")))
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append(_JSON_CONTENT_TYPE)
    return EncodedResponse(status_code, headers, body)


def page_response(page: Page, *, path: str, limit: int, cursor_param: str) -> Response:
    """A page of a collection; while more remain, a `Link` to the next one (same limit, the cursor after)."""
    headers = {} if page.etag is None else {"ETag": page.etag}
    if page.next_cursor is not None:
        query = urlencode({"limit": limit, cursor_param: page.next_cursor})
        headers["Link"] = f'<{path}?{query}>; rel="next"'
    return Response(page.body, headers=headers, media_type=JSON)


def conditional(request: Request, value: Representation | Page, **page: Any) -> Response:
    """`value`'s response, or a bodiless 304 if If-None-Match lists its ETag (with `page`'s
    arguments, `value` is a page; see `page_response`)."""
    return conditional_response(value, request.headers.get(IF_NONE_MATCH), **page)


def conditional_response(value: Representation | Page, if_none_match: str | None, **page: Any) -> Response:
    if value.etag is not None and none_match(if_none_match, value.etag):
        return EncodedResponse(304, [(b"etag", value.etag.encode("latin-1"))])
    if isinstance(value, Page):
        return page_response(value, **page)
    return representation_response(value)
