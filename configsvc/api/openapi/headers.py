"""OpenAPI `headers` entries: what the responses carry, described once."""

from typing import Any

from configsvc import request_ids

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
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before retrying.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
WWW_AUTHENTICATE_HEADER = {
    "description": 'The challenge: `Bearer realm="configsvc"`, with `error="invalid_token"` when a token was sent.',
    "required": True,
    "schema": {"type": "string"},
}
PREFERENCE_APPLIED_HEADER = {
    "description": "`wait=N` on a response that was held, N the seconds it could be held.",
    "schema": {"type": "string", "pattern": "^wait=[0-9]+$"},
}
REQUEST_ID_HEADER = {
    "description": "This request's id: the X-Request-ID the request sent when it is 1-128 characters of "
    "`[A-Za-z0-9._:-]`, otherwise one the service made (a UUID). A problem's `instance` is "
    "`urn:configsvc:request:` followed by it, and the service's log lines about the request name it.",
    "required": True,
    "schema": {"type": "string", "pattern": request_ids.PATTERN, "minLength": 1, "maxLength": 128},
}


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
