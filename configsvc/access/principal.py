"""Who a request acts as, and what that may do: a token's scopes, or everyone while access control
is not enforced.

Scopes as stored: `admin` (everything, tokens and the audit included), `metrics`, `read:*` and
`write:*` (every application; write implies read; creating applications takes `write:*`), and
`read:<application id>` / `write:<application id>` (that application and everything under it).
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

# As given (API, CLI): an application may be named by its name or its id; stored by id.
SCOPE = re.compile(r"(?P<verb>read|write):(?P<target>.{1,256})|(?P<alone>admin|metrics)", re.DOTALL)


class InvalidScope(ValueError):
    pass


def parse_scope(text: str) -> tuple[str, str | None]:
    """(verb, application name or id, or '*'), or (admin|metrics, None); InvalidScope otherwise."""
    match = SCOPE.fullmatch(text)
    if match is None:
        raise InvalidScope("a scope is admin, metrics, read:*, write:*, read:<application> or write:<application>")
    if match["alone"]:
        return match["alone"], None
    return match["verb"], match["target"]


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str | None  # None: access control is not enforced
    name: str | None
    scopes: tuple[str, ...] = ()
    expires_at: datetime | None = None
    admin: bool = False
    metrics: bool = False
    read_all: bool = False
    write_all: bool = False
    readable: frozenset[str] = field(default_factory=frozenset)
    writable: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of_token(cls, token_id: str, name: str, scopes: list[str], expires_at: datetime | None) -> "Principal":
        admin = "admin" in scopes
        write_all = admin or "write:*" in scopes
        writable = frozenset(scope[6:] for scope in scopes if scope.startswith("write:") and scope != "write:*")
        readable = writable | frozenset(
            scope[5:] for scope in scopes if scope.startswith("read:") and scope != "read:*"
        )
        return cls(
            token_id,
            name,
            tuple(scopes),
            expires_at,
            admin=admin,
            metrics=admin or "metrics" in scopes,
            read_all=write_all or "read:*" in scopes,
            write_all=write_all,
            readable=readable,
            writable=writable,
        )

    @property
    def enforced(self) -> bool:
        return self.token_id is not None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))

    def may_read(self, application_id: str | None) -> bool:
        return self.read_all or application_id in self.readable

    def may_write(self, application_id: str | None) -> bool:
        return self.write_all or application_id in self.writable

    def readable_applications(self) -> frozenset[str] | None:
        """The applications it may read, or None for all of them."""
        return None if self.read_all else self.readable

    @property
    def actor(self) -> dict[str, str] | None:
        """What the audit and the revisions record: None while access control is not enforced."""
        if self.token_id is None:
            return None
        assert self.name is not None
        return {"token_id": self.token_id, "name": self.name}


# Everyone, while access control is not enforced: every action allowed, nobody recorded.
OPEN = Principal(None, None, admin=True, metrics=True, read_all=True, write_all=True)
