"""Every kind of read, defined once: the view that answers a batch of its keys, the tags of an answer
when the key alone tells them (what a held request is registered by before its first read), and the
statement that reads the current ETags of a batch of keys (the watches' reconcile), for the kinds
that can be watched. Nothing else names a kind."""

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from configsvc.db.statements import Reads
from configsvc.representations import Page, Representation
from configsvc.views import access, applications, configurations, etags, schemas, tags
from configsvc.views.answer import Answer
from configsvc.views.keys import ApplicationsPage, ByName, ConfigurationsPage, RevisionOf, RevisionsPage

type View[K] = Callable[[Reads, list[K]], Awaitable[dict[K, Answer]]]
type CurrentEtags[K] = Callable[[Reads, list[K]], Awaitable[dict[K, str | None]]]
# An answer from what the cache keeps of it (`Answer.parts`): its key, the value kept under it, and
# a look-up of other parts (a part name and keys: their values as kept, `ReadKind.kept`, or None if
# one is not cached).
type Assemble[K] = Callable[[K, Any, Callable[[str, Iterable[Any]], list[Any] | None]], Answer | None]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each kind is one object
class ReadKind[K: Hashable]:
    name: str  # for people: logs, test output
    view: View[K]
    tags_before_read: Callable[[K], tuple[str, ...] | None] = lambda key: None
    current_etags: CurrentEtags[K] | None = None  # None: not watchable
    absent: str = "not found"  # the 404's detail for a token that may not read the answer
    refreshable: bool = True  # read again after a change while in use (not tokens: read when used)
    parts: Mapping[str, "ReadKind[Any]"] = field(default_factory=dict)  # the kinds its parts are kept as
    assemble: Assemble[K] | None = None  # set when it is kept as parts, not whole
    # What the read cache holds of a key and of a value: tuples of plain values (str, bytes, numbers,
    # None), which the garbage collector stops tracking. Objects (this kind, a named tuple, a
    # Representation) it would scan in every full collection: with 20,000 entries a process paused
    # 40-90 ms every few seconds under load, the reads' p99.
    key_type: Callable[..., K] | None = None  # the named tuple of a key of several fields; None: str or bytes
    kept: Callable[[Any], Any] = Representation.kept
    restored: Callable[[Any], Any] = Representation.restored

    def __repr__(self) -> str:
        return f"<read kind {self.name}>"

    def cached_as(self, key: K) -> tuple[Any, ...]:
        """`key` as the read cache holds it: its kind's name and its fields, in a plain tuple."""
        return (self.name, key) if self.key_type is None else (self.name, *key)  # type: ignore[misc]

    def key_of(self, cached: tuple[Any, ...]) -> K:
        """The key `cached_as` gave `cached` for."""
        return cached[1] if self.key_type is None else self.key_type(*cached[1:])


def _as_is(value: Any) -> Any:
    """Kept as it is: few are held (tokens, whether access control is on)."""
    return value


CONFIGURATION: ReadKind[str] = ReadKind(
    "configuration",
    configurations.configurations,
    tags_before_read=lambda id: (tags.resource(id),),
    current_etags=etags.configurations,
    absent=configurations.NO_CONFIGURATION,
)
# Its tags are known only from a read: the names resolve to ids.
BY_NAME: ReadKind[ByName] = ReadKind(
    "configuration by name",
    configurations.by_names,
    current_etags=etags.by_names,
    absent=configurations.NO_APPLICATION,
    key_type=ByName,
)
REVISIONS: ReadKind[RevisionsPage] = ReadKind(
    "revisions",
    configurations.revisions,
    absent=configurations.NO_CONFIGURATION,
    key_type=RevisionsPage,
    kept=Page.kept,
    restored=Page.restored,
)
REVISION: ReadKind[RevisionOf] = ReadKind(
    "revision", configurations.revision, absent=configurations.NO_REVISION, key_type=RevisionOf
)
APPLICATION: ReadKind[str] = ReadKind(
    "application",
    applications.applications_by_id,
    tags_before_read=lambda id: (tags.resource(id),),
    current_etags=etags.applications,
    absent=applications.NO_APPLICATION,
)
# A page of the list is kept as its outline (under its own key: not refreshed, it changes only when
# applications appear or go) and the summaries of the applications it shows, each refreshed alone
# (one row) when its application changes: a page assembled from them stays in memory under writes.
APPLICATION_SUMMARY: ReadKind[str] = ReadKind(
    "application summary", applications.summaries, absent=applications.NO_APPLICATION
)
APPLICATIONS: ReadKind[ApplicationsPage] = ReadKind(
    "applications",
    applications.applications,
    refreshable=False,
    parts={"summary": APPLICATION_SUMMARY},
    assemble=applications.assembled,
    key_type=ApplicationsPage,
    kept=applications.Outline.kept,
    restored=applications.Outline.restored,
)
CONFIGURATIONS_OF: ReadKind[ConfigurationsPage] = ReadKind(
    "configurations of an application",
    applications.configurations_of,
    tags_before_read=lambda key: (tags.resource(key.application_id),),
    current_etags=etags.collections,
    absent=applications.NO_APPLICATION,
    key_type=ConfigurationsPage,
    kept=Page.kept,
    restored=Page.restored,
)

# Not watchable: a schema changes seldom, and by whoever guards the configuration.
SCHEMA: ReadKind[str] = ReadKind(
    "schema", schemas.schemas, tags_before_read=lambda id: (tags.schema(id),), absent=configurations.NO_CONFIGURATION
)
# Authentication's reads: the token of a secret's digest, and whether tokens are enforced (key "").
TOKEN: ReadKind[bytes] = ReadKind("token", access.tokens, refreshable=False, kept=_as_is, restored=_as_is)
ACCESS_CONTROL: ReadKind[str] = ReadKind("access control", access.enforcement, kept=_as_is, restored=_as_is)

ALL = (
    *(CONFIGURATION, BY_NAME, REVISIONS, REVISION, APPLICATION, APPLICATION_SUMMARY, APPLICATIONS),
    *(CONFIGURATIONS_OF, SCHEMA),
    *(TOKEN, ACCESS_CONTROL),
)
NAMED = {kind.name: kind for kind in ALL}
assert len(NAMED) == len(ALL), "two kinds of one name"


def of_cached(cached: tuple[Any, ...]) -> tuple[ReadKind[Any], Any]:
    """The kind and key a read cache key (`ReadKind.cached_as`) stands for."""
    kind = NAMED[cached[0]]
    return kind, kind.key_of(cached)
