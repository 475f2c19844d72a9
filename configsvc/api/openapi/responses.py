"""OpenAPI `responses` entries the routes share: problems, lists, deletes, creates and replaces, and
what a watchable GET answers."""

from typing import Any

from configsvc.api.http.problems import PROBLEM_MEDIA_TYPE
from configsvc.api.http.watching import PREFERENCE_APPLIED
from configsvc.api.openapi.headers import (
    ETAG_HEADER,
    LINK_HEADER,
    PREFERENCE_APPLIED_HEADER,
    RETRY_AFTER_HEADER,
    WWW_AUTHENTICATE_HEADER,
    documented_headers,
)
from configsvc.api.openapi.parameters import IF_NONE_MATCH_PARAMETER, PREFER_PARAMETER

PROBLEM_SCHEMA_REF = {"$ref": "#/components/schemas/Problem"}
# An operation's `openapi_extra` mark for a POST judged as a read (it changes nothing): like a GET it
# declares 401 but not 403, which it never answers (a token that may not read gets 404). The
# document takes the mark out.
READS_ONLY_MARK = "x-configsvc-reads-only"
READS_ONLY = {READS_ONLY_MARK: True}

DESCRIPTIONS = {
    400: "The body could not be read (not UTF-8, nested too deep to parse, bad Content-Length).",
    401: "No valid token while access control is enforced: `WWW-Authenticate` says so (RFC 6750).",
    403: "The token may not do this (it may read the application, but not change it; or it lacks the scope).",
    404: "Not found.",
    409: "Conflict: the name is taken.",
    412: "If-Match named an ETag that is no longer current; `current_etag` (and `current_version`) say which is.",
    413: "Request body too large.",
    415: "The body is not application/json.",
    422: "Invalid input; `errors` lists each bad field.",
    500: "Unexpected server error (logged with the request id).",
    503: "The database is unavailable or busy; retry after `Retry-After` seconds.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json bodies for these statuses."""
    documented = sorted({*statuses, 500, 503})
    responses: dict[int | str, dict[str, Any]] = {
        status: {"description": DESCRIPTIONS[status], "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA_REF}}}
        for status in documented
    }
    responses[503]["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    if 401 in responses:
        responses[401]["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE_HEADER}
    return responses


LIST_RESPONSES = {200: {"headers": {"Link": LINK_HEADER}}}
DELETED_RESPONSES = {204: {"description": "Deleted."}}
NOT_MODIFIED = {304: {"description": "Not modified: the ETag sent is current.", "headers": {"ETag": ETAG_HEADER}}}
CREATED_RESPONSES = {201: {"headers": documented_headers(location=True, replay=True)}} | problem_responses(
    400, 409, 413, 415, 422
)
REPLACED_RESPONSES = {200: {"headers": documented_headers()}} | problem_responses(400, 404, 409, 412, 413, 415, 422)
# The OpenAPI of a watchable GET: its conditional headers, and what a held response carries.
WATCHABLE = {"parameters": [IF_NONE_MATCH_PARAMETER, PREFER_PARAMETER]}
WATCHED_RESPONSES = {
    200: {"headers": documented_headers() | {PREFERENCE_APPLIED: PREFERENCE_APPLIED_HEADER}},
    304: NOT_MODIFIED[304]
    | {"headers": NOT_MODIFIED[304]["headers"] | {PREFERENCE_APPLIED: PREFERENCE_APPLIED_HEADER}},
}
