"""What a refused constraint means for the write that ran into it."""

from collections.abc import Iterator
from contextlib import contextmanager

from configsvc.errors import ConstraintViolated, DomainError


@contextmanager
def constraint_outcomes(**outcomes: DomainError) -> Iterator[None]:
    """Name the outcome of each expected constraint (keyword: the constraint's name).

    The constraint decides, never a check-then-write; one not named stays a generic conflict.
    """
    try:
        yield
    except ConstraintViolated as violation:
        outcome = outcomes.get(violation.constraint or "")
        if outcome is None:
            raise
        raise outcome from violation
