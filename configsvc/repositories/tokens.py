"""The tokens table and the access_control row: creating a token (which turns enforcement on, in the
same transaction), listing, revoking, and the operator's switch off."""

from datetime import datetime

from configsvc.access.principal import parse_scope
from configsvc.db.session import Session
from configsvc.errors import Conflict, NotFound, UnknownReference
from configsvc.repositories.audit import NOBODY, Author, audited
from configsvc.repositories.outcomes import constraint_outcomes
from configsvc.representations import TOKEN_FIELDS, Page, Representation, one, page

# Scopes name an application by id or by name; stored by id (an id wins over a name that looks like one).
RESOLVE = """
SELECT wanted.target, coalesce(by_id.id, by_name.id) AS id
FROM unnest(%(targets)s::varchar[]) AS wanted(target)
LEFT JOIN applications by_id ON by_id.id = upper(wanted.target)
LEFT JOIN applications by_name ON by_name.name = wanted.target
"""
_TOKEN_AUDIT = {"kind": "token", "id": "id", "application": "NULL", "version": "NULL"}
INSERT = f"""
WITH created AS (
    INSERT INTO tokens (id, name, secret_sha256, scopes, expires_at)
    VALUES (%(id)s, %(name)s, %(digest)s, %(scopes)s, %(expires_at)s)
    RETURNING *
), enforced AS (
    UPDATE access_control SET enforced = true, changed_at = now() WHERE NOT enforced RETURNING 1
){audited("created", action="token.create", **_TOKEN_AUDIT)}
{one(TOKEN_FIELDS, "FROM created t")}"""
# Revoking twice changes nothing and answers the same: the token stays revoked since the first time.
REVOKE = f"""
WITH revoked AS (
    UPDATE tokens SET revoked_at = now() WHERE id = %(id)s AND revoked_at IS NULL RETURNING *
){audited("revoked", action="token.revoke", **_TOKEN_AUDIT)}
SELECT (SELECT count(*) FROM revoked) AS revoked, EXISTS (SELECT 1 FROM tokens WHERE id = %(id)s) AS exists
"""
SELECT_ONE = one(TOKEN_FIELDS, "FROM tokens t WHERE t.id = %(id)s")
SELECT_BY_NAME_OR_ID = (
    "SELECT id FROM tokens WHERE id = upper(%(which)s) OR name = %(which)s ORDER BY id = upper(%(which)s) DESC LIMIT 1"
)
SELECT_PAGE = page(
    TOKEN_FIELDS,
    "FROM tokens t WHERE t.id > coalesce(%(after)s::varchar, '') ORDER BY t.id",
    order="id",
    last="max(id)",
)
SET_ENFORCED = "UPDATE access_control SET enforced = %(enforced)s, changed_at = now() WHERE enforced <> %(enforced)s"

NAME_TAKEN = "a token with this name already exists"


class TokensRepository:
    def __init__(self, session: Session, author: Author = NOBODY) -> None:
        self._session = session
        self._author = author

    async def stored_scopes(self, scopes: list[str]) -> list[str]:
        """Scopes as given (applications by name or id) as stored (by id); UnknownReference for an
        application that does not exist, InvalidScope (a ValueError) for one that is not a scope."""
        parsed = [parse_scope(scope) for scope in scopes]
        targets = sorted({target for verb, target in parsed if target not in (None, "*")})
        ids: dict[str, str | None] = {}
        if targets:
            rows = await self._session.fetch_all(RESOLVE, {"targets": targets})
            ids = {row["target"]: row["id"] for row in rows}
        stored = []
        for verb, target in parsed:
            if target is None or target == "*":
                stored.append(verb if target is None else f"{verb}:*")
            elif ids.get(target) is None:
                raise UnknownReference("a scope names an application that does not exist", field="scopes")
            else:
                stored.append(f"{verb}:{ids[target]}")
        return list(dict.fromkeys(stored))

    async def create(
        self, *, id: str, name: str, digest: bytes, scopes: list[str], expires_at: datetime | None
    ) -> Representation:
        """Store a token (its digest only) with its scopes as given; access control is enforced from
        this transaction on."""
        stored = await self.stored_scopes(scopes)
        params = {"id": id, "name": name, "digest": digest, "scopes": stored, "expires_at": expires_at}
        with constraint_outcomes(tokens_name_key=Conflict(NAME_TAKEN)):
            row = await self._session.fetch_one(INSERT, params | self._author.params())
        assert row is not None
        return Representation.from_row(row)

    async def get(self, id: str) -> Representation:
        row = await self._session.fetch_one(SELECT_ONE, {"id": id})
        if row is None:
            raise NotFound("no such token")
        return Representation.from_row(row)

    async def find(self, name_or_id: str) -> str:
        """The id of the token with this name or id (the operator's CLI)."""
        row = await self._session.fetch_one(SELECT_BY_NAME_OR_ID, {"which": name_or_id})
        if row is None:
            raise NotFound("no such token")
        return row["id"]

    async def page(self, *, limit: int, after: str | None) -> Page:
        row = await self._session.fetch_one(SELECT_PAGE, {"limit": limit, "after": after})
        assert row is not None
        return Page.from_row(row)

    async def revoke(self, id: str) -> None:
        row = await self._session.fetch_one(REVOKE, {"id": id} | self._author.params())
        assert row is not None
        if not row["exists"]:
            raise NotFound("no such token")

    async def set_enforced(self, enforced: bool) -> None:
        """The operator's switch (`python -m scripts.tokens disable`); the first token sets it on."""
        await self._session.execute(SET_ENFORCED, {"enforced": enforced})
