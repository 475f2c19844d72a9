"""Translate constraint violations reported by PostgreSQL into domain errors, at the edge."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from psycopg2 import errorcodes

from configsvc.errors import Conflict, DomainError

GENERIC_CONFLICT = "the change violates a data constraint"


@contextmanager
def constraint_errors(*, conflict: str, unknown_reference: DomainError | None = None) -> Iterator[None]:
    """Let the constraint decide (never check-then-write) and name the outcome for the client.

    The driver's message is dropped on purpose: it carries key values and SQL names.
    """
    try:
        yield
    except psycopg2.IntegrityError as error:
        raise integrity_error(error, conflict=conflict, unknown_reference=unknown_reference) from error


def integrity_error(
    error: psycopg2.IntegrityError, *, conflict: str = GENERIC_CONFLICT, unknown_reference: DomainError | None = None
) -> DomainError:
    if error.pgcode == errorcodes.UNIQUE_VIOLATION:
        return Conflict(conflict)
    if error.pgcode == errorcodes.FOREIGN_KEY_VIOLATION and unknown_reference is not None:
        return unknown_reference
    return Conflict(GENERIC_CONFLICT)
