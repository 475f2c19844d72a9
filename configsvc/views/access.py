"""What authenticating a request reads: the token a secret's digest belongs to, and whether access
control is enforced. Read through the read side like any other read, so a cached answer is served
only once the sync point has proven it current: a revocation answered 204 anywhere is seen by
every request that arrives afterwards."""

from dataclasses import dataclass
from datetime import datetime

from configsvc.access.principal import Principal
from configsvc.db.statements import Prepared, Reads
from configsvc.views import tags
from configsvc.views.answer import Answer

SELECT_TOKENS = Prepared(
    "view_tokens_by_digest",
    """SELECT secret_sha256 AS digest, id, name, scopes, expires_at, revoked_at
FROM tokens WHERE secret_sha256 = ANY(%(digests)s::bytea[])""",
)
SELECT_ENFORCED = Prepared("view_access_control", "SELECT enforced FROM access_control")

UNKNOWN_TOKEN = "unknown token"


@dataclass(frozen=True, slots=True)
class Credential:
    """A token as a request's authentication needs it."""

    principal: Principal
    revoked_at: datetime | None
    size: int = 256  # what the cache counts it as

    @property
    def etag(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Enforcement:
    enforced: bool
    size: int = 8

    @property
    def etag(self) -> None:
        return None


async def tokens(session: Reads, digests: list[bytes]) -> dict[bytes, Answer]:
    rows = await session.fetch_all(SELECT_TOKENS, {"digests": digests})
    found = {}
    for row in rows:
        principal = Principal.of_token(row["id"], row["name"], row["scopes"], row["expires_at"])
        found[bytes(row["digest"])] = Answer.found(Credential(principal, row["revoked_at"]), tags.token(row["id"]))  # type: ignore[arg-type]
    # An unknown digest is not kept (nothing to evict it by): each one asks the database again.
    return {digest: found.get(digest) or Answer.not_found(UNKNOWN_TOKEN) for digest in digests}


async def enforcement(session: Reads, keys: list[str]) -> dict[str, Answer]:
    row = await session.fetch_one(SELECT_ENFORCED)
    enforced = Enforcement(bool(row is not None and row["enforced"]))
    return {key: Answer.found(enforced, tags.ACCESS_CONTROL) for key in keys}  # type: ignore[arg-type]
