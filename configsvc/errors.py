"""Domain errors: raised by repositories and the database layer, mapped to HTTP in one place."""


class DomainError(Exception):
    """Base class; the message is safe to show to a client (it never quotes submitted values)."""

    def __init__(self, message: str, *, loc: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc  # the request field at fault, when there is one


class NotFound(DomainError):
    """The addressed resource does not exist."""


class Conflict(DomainError):
    """The write collides with existing state (a taken name)."""


class UnknownReference(DomainError):
    """The body refers to a resource that does not exist."""


class InvalidChange(DomainError):
    """The write asks for a change the resource does not allow."""


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key came back with a different request body."""


class ServiceUnavailable(DomainError):
    """The database cannot serve the request right now; retrying later may succeed."""


class PoolExhausted(ServiceUnavailable):
    """No pooled connection became free within the lease timeout."""


class DatabaseUnavailable(ServiceUnavailable):
    """The database could not be reached or dropped the connection."""
