"""The keys of the reads that take more than an id (an id is a plain str): named tuples, so they hash
and compare as fast as the tuples they are, and say what each field is."""

from typing import NamedTuple


class ByName(NamedTuple):
    application: str
    name: str


class RevisionsPage(NamedTuple):
    configuration_id: str
    limit: int
    before: int | None  # the keyset cursor: versions below it


class RevisionOf(NamedTuple):
    configuration_id: str
    version: int


class ApplicationsPage(NamedTuple):
    limit: int
    after: str | None
    name: str | None
    readable: frozenset[str] | None = None  # only these applications (a scoped token's); None: all


class ConfigurationsPage(NamedTuple):
    application_id: str
    limit: int
    after: str | None
