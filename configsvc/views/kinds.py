"""Every kind of read, defined once: the view that answers a batch of its keys, the tags of an answer
when the key alone tells them (what a held request is registered by before its first read), and the
statement that reads the current ETags of a batch of keys (the watches' reconcile), for the kinds
that can be watched. Nothing else names a kind."""

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from configsvc.db.statements import Reads
from configsvc.views import access, applications, configurations, etags, schemas, tags
from configsvc.views.answer import Answer
from configsvc.views.keys import ApplicationsPage, ByName, ConfigurationsPage, RevisionOf, RevisionsPage

type View[K] = Callable[[Reads, list[K]], Awaitable[dict[K, Answer]]]
type CurrentEtags[K] = Callable[[Reads, list[K]], Awaitable[dict[K, str | None]]]
# An answer from what the cache keeps of it (`Answer.parts`): its key, the value kept under it, and
# a look-up of other parts (a part name and keys: their values, or None if one is not cached).
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

    def __repr__(self) -> str:
        return f"<read kind {self.name}>"


CONFIGURATION: ReadKind[str] = ReadKind(
    "configuration",
    configurations.configurations,
    tags_before_read=lambda id: (tags.resource(id),),
    current_etags=etags.configurations,
    absent=configurations.NO_CONFIGURATION,
)
# Its tags are known only from a read: the names resolve to ids.
BY_NAME: ReadKind[ByName] = ReadKind(
    "configuration by name", configurations.by_names, current_etags=etags.by_names, absent=configurations.NO_APPLICATION
)
REVISIONS: ReadKind[RevisionsPage] = ReadKind(
    "revisions", configurations.revisions, absent=configurations.NO_CONFIGURATION
)
REVISION: ReadKind[RevisionOf] = ReadKind("revision", configurations.revision, absent=configurations.NO_REVISION)
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
)
CONFIGURATIONS_OF: ReadKind[ConfigurationsPage] = ReadKind(
    "configurations of an application",
    applications.configurations_of,
    tags_before_read=lambda key: (tags.resource(key.application_id),),
    current_etags=etags.collections,
    absent=applications.NO_APPLICATION,
)

# Not watchable: a schema changes seldom, and by whoever guards the configuration.
SCHEMA: ReadKind[str] = ReadKind(
    "schema", schemas.schemas, tags_before_read=lambda id: (tags.schema(id),), absent=configurations.NO_CONFIGURATION
)
# Authentication's reads: the token of a secret's digest, and whether tokens are enforced (key "").
TOKEN: ReadKind[bytes] = ReadKind("token", access.tokens, refreshable=False)
ACCESS_CONTROL: ReadKind[str] = ReadKind("access control", access.enforcement)

ALL = (
    *(CONFIGURATION, BY_NAME, REVISIONS, REVISION, APPLICATION, APPLICATION_SUMMARY, APPLICATIONS),
    *(CONFIGURATIONS_OF, SCHEMA),
    *(TOKEN, ACCESS_CONTROL),
)
