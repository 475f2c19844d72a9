"""Representations as attribute bags, so tests read `created.version` instead of parsing JSON each time."""

from types import SimpleNamespace
from typing import Any

from configsvc.representations import Representation


def fields(representation: Representation) -> Any:
    """The representation's JSON fields as attributes, plus its `etag`."""
    return SimpleNamespace(**representation.json(), etag=representation.etag)


class Fielded:
    """A repository whose methods return `fields(...)` of what the real one returns."""

    def __init__(self, repository: object) -> None:
        self._repository = repository

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._repository, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return fields(await method(*args, **kwargs))

        return call
