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
            result = await method(*args, **kwargs)
            return None if result is None else fields(result)

        return call


async def read_one(view: Any, session: Any, key: Any) -> Any:
    """One key through a batch view: its representation or page, or its NotFound raised."""
    return (await view(session, [key]))[key].result()
