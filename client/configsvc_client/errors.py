"""What went wrong, as exceptions a caller can tell apart (SPEC §13): "not found" is never
"unreachable", and a refused token never looks like either."""


class ConfigsvcError(Exception):
    """Base of every error the client raises. `detail` is the service's own words when it answered
    with a problem (RFC 9457), `status` its HTTP status, `request_id` the X-Request-ID to quote when
    reporting it (the service logs the same id)."""

    def __init__(
        self, message: str, *, status: int | None = None, detail: str | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.request_id = request_id


class NotFound(ConfigsvcError):
    """The application or configuration does not exist (404)."""


class Unavailable(ConfigsvcError):
    """The service could not answer: connection refused, timed out, or a 5xx (often a 503 while its
    database is away). Trying again later may succeed."""


class Unauthorized(ConfigsvcError):
    """The token is missing, unknown, expired or revoked (401), or may not do this (403). Never
    answered from the cache: a revoked token must not keep reading."""


class PreconditionFailed(ConfigsvcError):
    """If-Match named a version that is no longer current (412). `current_etag` is the one that is,
    or None when the configuration no longer exists."""

    def __init__(self, message: str, *, current_etag: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.current_etag = current_etag


class Conflict(ConfigsvcError):
    """The write collides with the service's state (409): a taken name, an application that still
    has configurations, or a configuration that kept changing under a write."""


class Rejected(ConfigsvcError):
    """The service refused the request as invalid (422, 413, 415, ...); `errors` lists what the
    service said about each field, when it did."""

    def __init__(self, message: str, *, errors: list | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors or []
