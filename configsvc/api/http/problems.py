"""RFC 9457 problem details: the one place where errors become HTTP responses."""

import json
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from configsvc import request_ids
from configsvc.api.http.methods import allowed_methods
from configsvc.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IdempotencyKeyReused,
    InvalidChange,
    InvalidContent,
    InvalidSchema,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    Unauthenticated,
    UnknownReference,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = "1"

# (status, type slug) per domain error; the most specific class wins (checked in MRO order).
DOMAIN_ERRORS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "not-found"),
    Conflict: (409, "conflict"),
    UnknownReference: (422, "unknown-reference"),
    InvalidChange: (422, "invalid-change"),
    InvalidValue: (422, "invalid-value"),
    InvalidContent: (422, "schema-violation"),
    InvalidSchema: (422, "invalid-schema"),
    IdempotencyKeyReused: (422, "idempotency-key-reused"),
    PreconditionFailed: (412, "precondition-failed"),
    ServiceUnavailable: (503, "service-unavailable"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
}
# RFC 6750 §3: the challenge of every 401, with error="invalid_token" when a token was sent.
CHALLENGE = 'Bearer realm="configsvc"'
INVALID_TOKEN_CHALLENGE = CHALLENGE + ', error="invalid_token"'


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the error is: body, path or query, then the field.")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(description="A URI identifying the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str = Field(
        description="A URI identifying this occurrence: `urn:configsvc:request:` followed by the response's "
        "X-Request-ID (the one the request sent, when well-formed)."
    )
    errors: list[FieldError] | None = Field(
        default=None,
        description="Present on 422: one entry per bad field, or per value a configuration's JSON Schema refuses "
        "(up to 50; `type` is `schema.<keyword>`).",
    )
    current_version: int | None = Field(default=None, description="Present on 412: the version that is current.")
    current_etag: str | None = Field(default=None, description="Present on 412: the ETag that is current.")


def problem_type(slug: str | None) -> str:
    return f"urn:configsvc:problem:{slug}" if slug else "about:blank"


def request_id(scope: Scope) -> str:
    return scope.get("state", {}).get("request_id", "")


def problem_response(
    scope: Scope,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    body = problem_body(status, detail, request_id(scope), slug=slug, errors=errors, extensions=extensions)
    return Response(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_body(
    status: int,
    detail: str,
    request_id: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> bytes:
    """The problem document's bytes (also for answers written below the app, by the HTTP protocol)."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request_ids.instance(request_id),
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extensions or {})
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# Request headers that domain errors can name; every other field is one of the body's.
HEADER_FIELDS = {"idempotency-key"}


def location(field: str | None) -> list[str]:
    """Where a field named by a domain error sits in the request (`loc` of RFC 9457 errors)."""
    if field is None:
        return []
    return ["header" if field in HEADER_FIELDS else "body", field]


def _domain_status(error: DomainError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in DOMAIN_ERRORS:
            return DOMAIN_ERRORS[cls]
    return 500, "internal"


async def domain_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    return domain_error_response(request.scope, error)


def domain_error_response(scope: Scope, error: DomainError) -> Response:
    status, slug = _domain_status(error)
    errors = [{"loc": location(error.field), "msg": error.message, "type": slug}] if status == 422 else None
    if isinstance(error, InvalidContent):
        errors = error.errors
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    if isinstance(error, Unauthenticated):
        headers = {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE if error.token_sent else CHALLENGE}
    extensions = None
    if isinstance(error, PreconditionFailed):
        extensions = {"current_version": error.current_version, "current_etag": error.current_etag}
    return problem_response(
        scope, status, error.message, slug=slug, errors=errors, headers=headers, extensions=extensions
    )


async def validation_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return validation_error_response(request.scope, error)


def validation_error_response(scope: Scope, error: RequestValidationError) -> Response:
    # Only where, what and why: never the submitted input or pydantic's context values.
    errors = [{"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]} for item in error.errors()]
    return problem_response(scope, 422, "the request is invalid; see errors", slug="validation", errors=errors)


async def http_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = error.headers
    if error.status_code == 405:
        # Starlette's Allow names only the first matching route's methods: list them all.
        allow = allowed_methods(request.app.router.routes, request.scope)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        headers = {"Allow": allow}
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    return problem_response(request.scope, error.status_code, detail, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
