"""Who made each write: every write statement records its audit event in the same statement (a CTE
beside the change), so a write is never stored without its event, nor an event without its write."""

from dataclasses import dataclass

from ulid import ULID


@dataclass(frozen=True, slots=True)
class Author:
    """Who is writing, and in which request: what the audit and the revisions record."""

    token_id: str | None = None  # None: access control was not enforced
    token_name: str | None = None
    request_id: str | None = None

    def params(self) -> dict[str, str | None]:
        """The parameters an audited statement takes; a fresh event id each time."""
        return {
            "event_id": str(ULID()),
            "actor_token_id": self.token_id,
            "actor_name": self.token_name,
            "request_id": self.request_id,
        }


NOBODY = Author()


def audited(source: str, *, action: str, kind: str, id: str, application: str, version: str) -> str:
    """A CTE (`, audit AS (...)`) recording one event for the row of `source`, a CTE of the write
    statement; the other arguments are SQL over its row. `action` and `kind` are constants."""
    return f""",
audit AS (
    INSERT INTO audit_events
        (id, actor_token_id, actor_name, request_id, action, resource_kind, resource_id, application_id, version)
    SELECT %(event_id)s, %(actor_token_id)s, %(actor_name)s, %(request_id)s, '{action}', '{kind}',
           {id}, {application}, {version}
    FROM {source}
)"""
