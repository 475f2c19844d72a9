"""Domain errors: raised by repositories, views and the database layer, mapped to HTTP in one place."""

from typing import Any


class DomainError(Exception):
    """Base class; the message is safe to show to a client (it never quotes submitted values)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the input field at fault, when there is one (the HTTP layer knows where it sits)


class NotFound(DomainError):
    """The addressed resource does not exist."""


class Conflict(DomainError):
    """The write collides with existing state (a taken name)."""


class StillReferenced(Conflict):
    """A delete of something others still refer to (an application that has configurations)."""


class ConstraintViolated(Conflict):
    """A database constraint refused the change. Repositories turn the ones they expect into the
    error that names the outcome; any other stays a generic conflict."""

    def __init__(self, constraint: str | None, kind: str) -> None:
        super().__init__("the change violates a data constraint")
        self.constraint = constraint
        self.kind = kind  # unique, foreign_key, check, not_null or other


class UnknownReference(DomainError):
    """The body refers to a resource that does not exist."""


class InvalidValue(DomainError):
    """A value the body's schema allows but the service does not (a scope that is not one)."""


class InvalidChange(DomainError):
    """The write asks for a change the resource does not allow."""


class PreconditionFailed(DomainError):
    """If-Match named an ETag that is no longer current (None: nothing is current, as for a
    configuration that has no schema)."""

    def __init__(self, message: str, *, current_version: int | None, current_etag: str | None) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.current_etag = current_etag


class InvalidContent(DomainError):
    """A config that its configuration's JSON Schema refuses; `errors` holds one item per violation
    (`loc`, `msg`, `type`), as a 422 lists them."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


class InvalidSchema(InvalidContent):
    """A JSON Schema the service does not accept: not draft 2020-12, a reference it would have to
    fetch, or too deep to compile; `errors` says where and why."""


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key came back with a different request body."""


class Unauthenticated(DomainError):
    """No valid token while access control is enforced (401). `token_sent`: one was sent, and it is
    unknown, expired, revoked or malformed (which of these is never said)."""

    def __init__(self, message: str, *, token_sent: bool) -> None:
        super().__init__(message)
        self.token_sent = token_sent


class Forbidden(DomainError):
    """The token may read what it asks to change, but not write it (403)."""


class ServiceUnavailable(DomainError):
    """The database cannot serve the request right now; retrying later may succeed."""


class PoolExhausted(ServiceUnavailable):
    """No pooled connection became free within the lease timeout."""


class DatabaseUnavailable(ServiceUnavailable):
    """The database could not be reached or dropped the connection."""
