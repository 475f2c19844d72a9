"""What a view returns for one key: a representation or page, or the NotFound to raise, with the
tags (resource ids, or a collection's name) whose changes make it stale."""

from dataclasses import dataclass

from configsvc.errors import NotFound
from configsvc.representations import Page, Representation

# The tag of every list of applications: any application's change can move any page of it.
APPLICATIONS = "applications"


def application_row(application_id: str) -> str:
    """The tag of an application's own fields (name, comments, version), apart from its seq: what
    a configuration read by its application's name depends on, besides the configuration."""
    return f"{application_id}/row"


@dataclass(frozen=True, slots=True)
class Outcome:
    value: Representation | Page | None
    tags: tuple[str, ...]
    missing: NotFound | None = None

    @classmethod
    def found(cls, value: Representation | Page, *tags: str) -> "Outcome":
        return cls(value, tags)

    @classmethod
    def not_found(cls, message: str, *tags: str) -> "Outcome":
        return cls(None, tags, NotFound(message))

    def result(self) -> Representation | Page:
        """The value, or the NotFound raised (a fresh one: an exception object is not shared)."""
        if self.missing is not None:
            raise NotFound(self.missing.message)
        assert self.value is not None
        return self.value
