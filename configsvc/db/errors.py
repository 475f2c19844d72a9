"""The one place where psycopg2's errors become domain errors (procrastinate's `wrap_exceptions`):
`translated`, around every statement of a pooled session or the loop read connection.

What comes out is safe to show a client: the driver's text carries key values and SQL names, so
it is never passed on. A constraint violation keeps only the constraint's name and kind, for the
repository that ran the statement to say what it means for the request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import psycopg2
import psycopg2.errors
from psycopg2 import errorcodes
from psycopg2.extensions import connection

from configsvc.db.connection import CONNECTION_ERRORS, connection_lost
from configsvc.errors import ConstraintViolated, DatabaseUnavailable

CONSTRAINT_KINDS = {
    errorcodes.UNIQUE_VIOLATION: "unique",
    errorcodes.FOREIGN_KEY_VIOLATION: "foreign_key",
    errorcodes.CHECK_VIOLATION: "check",
    errorcodes.NOT_NULL_VIOLATION: "not_null",
}


def translate(error: psycopg2.Error) -> Exception:
    """The domain error for a driver error; anything else (a bug, such as bad SQL) is returned as it is."""
    if isinstance(error, psycopg2.IntegrityError):
        kind = CONSTRAINT_KINDS.get(error.pgcode or "", "other")
        return ConstraintViolated(error.diag.constraint_name, kind)
    # Both are OperationalErrors that leave the connection healthy: checked before the rest.
    if isinstance(error, psycopg2.errors.QueryCanceled):
        return DatabaseUnavailable("a database statement took too long and was cancelled")
    if isinstance(error, psycopg2.extensions.TransactionRollbackError):
        return DatabaseUnavailable("the change collided with a concurrent one; retry it")
    if isinstance(error, CONNECTION_ERRORS):
        return DatabaseUnavailable("the database connection failed")
    return error


class Lent(Protocol):
    """A connection lent to a caller: its connection, and whether it may be broken."""

    broken: bool

    @property
    def connection(self) -> connection | None: ...


@contextmanager
def translated(lent: Lent) -> Iterator[None]:
    """Driver errors inside leave as domain errors; one that broke the connection marks it broken
    (closed when given back, never reused)."""
    try:
        yield
    except psycopg2.Error as error:
        lent.broken = lent.broken or connection_lost(lent.connection, error)
        domain_error = translate(error)
        if domain_error is error:
            raise
        raise domain_error from error
