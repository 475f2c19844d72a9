"""Reading the service's answers: a problem+json response or a transport failure becomes the
exception that says what happened, with the service's `detail` in its message."""

import email.utils
import time

import httpx

from configsvc_client.errors import (
    ConfigsvcError,
    Conflict,
    NotFound,
    PreconditionFailed,
    Rejected,
    Unauthorized,
    Unavailable,
)

REQUEST_ID = "X-Request-ID"


def is_unreachable(response: httpx.Response) -> bool:
    """A 5xx: the service (or a proxy in front of it) could not serve the request right now."""
    return response.status_code >= 500


def problem_error(response: httpx.Response, subject: str) -> ConfigsvcError:
    """The exception for a response that is not a success; `subject` names what was asked about
    (`payments/production`), so the message reads "payments/production: <the service's detail>"."""
    status = response.status_code
    problem = _problem(response)
    detail = problem.get("detail") if isinstance(problem.get("detail"), str) else None
    message = f"{subject}: {detail or response.reason_phrase or 'HTTP error'} ({status})"
    common = {"status": status, "detail": detail, "request_id": response.headers.get(REQUEST_ID)}
    if status == 404:
        return NotFound(message, **common)
    if status in (401, 403):
        return Unauthorized(message, **common)
    if status == 412:
        current = problem.get("current_etag")
        return PreconditionFailed(message, current_etag=current if isinstance(current, str) else None, **common)
    if status == 409:
        return Conflict(message, **common)
    if is_unreachable(response) or status == 429:
        return Unavailable(message, **common)
    errors = problem.get("errors")
    return Rejected(message, errors=errors if isinstance(errors, list) else None, **common)


def transport_error(error: httpx.TransportError, subject: str) -> Unavailable:
    """Refused, reset, timed out: the service was not reached, or did not finish answering."""
    reason = str(error) or type(error).__name__
    return Unavailable(f"{subject}: the service is unreachable ({reason})")


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (RFC 9110 §10.2.3: a number of seconds or an HTTP date), if sent."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def problem_type(response: httpx.Response) -> str:
    """The problem's `type` URI ("urn:configsvc:problem:unknown-reference"), or "" when there is none."""
    kind = _problem(response).get("type")
    return kind if isinstance(kind, str) else ""


def _problem(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
