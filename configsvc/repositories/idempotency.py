"""The idempotency_keys table: the stored response of each create made with an Idempotency-Key, per
token (another token's key never replays: a key is scoped to the token, method and path)."""

from dataclasses import dataclass

from psycopg2.extras import Json

from configsvc.db.session import Session
from configsvc.repositories.audit import NOBODY, Author

# Claim the key. ON CONFLICT waits for a concurrent transaction holding the same key, so two
# retries in flight are serialised: the second sees the first's outcome. Keys are kept 24 hours:
# an older one is taken over as if it were new, and the others are purged on the way (an index
# range scan that finds nothing most of the time, in the same round trip).
CLAIM = """
WITH purged AS (
    DELETE FROM idempotency_keys
    WHERE ctid IN (
        SELECT ctid FROM idempotency_keys
        WHERE created_at < now() - interval '24 hours'
          AND (token_id, method, path, key) <> (%(token_id)s, %(method)s, %(path)s, %(key)s)
        LIMIT 100
        FOR UPDATE SKIP LOCKED  -- never wait for another request purging the same rows
    )
)
INSERT INTO idempotency_keys (token_id, method, path, key, request_hash)
VALUES (%(token_id)s, %(method)s, %(path)s, %(key)s, %(request_hash)s)
ON CONFLICT (token_id, method, path, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, status = NULL, headers = NULL, body = NULL, created_at = now()
WHERE idempotency_keys.created_at < now() - interval '24 hours'
RETURNING 1 AS claimed
"""
SELECT_STORED = """
SELECT request_hash, status, headers, body
FROM idempotency_keys
WHERE token_id = %(token_id)s AND method = %(method)s AND path = %(path)s AND key = %(key)s
"""
COMPLETE = """
UPDATE idempotency_keys SET status = %(status)s, headers = %(headers)s, body = %(body)s
WHERE token_id = %(token_id)s AND method = %(method)s AND path = %(path)s AND key = %(key)s
"""


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status: int
    headers: dict[str, str]
    body: bytes


class IdempotencyRepository:
    def __init__(self, session: Session, author: Author = NOBODY) -> None:
        self._session = session
        self._token_id = author.token_id or ""  # "": requests made while access control was off

    async def claim(self, *, method: str, path: str, key: str, request_hash: str) -> StoredResponse | None:
        """None when this transaction now owns the key; else the response stored under it."""
        params = {"token_id": self._token_id, "method": method, "path": path, "key": key}
        params["request_hash"] = request_hash
        if await self._session.fetch_one(CLAIM, params) is not None:
            return None
        row = await self._session.fetch_one(SELECT_STORED, params)
        # The claim waited for the key's first transaction, which stored the response as it committed.
        assert row is not None
        assert row["status"] is not None
        return StoredResponse(row["request_hash"], row["status"], row["headers"], bytes(row["body"]))

    async def complete(
        self, *, method: str, path: str, key: str, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        """Store the response in the same transaction as the write it describes."""
        params = {"token_id": self._token_id, "method": method, "path": path, "key": key}
        params |= {"status": status, "headers": Json(headers), "body": body}
        await self._session.execute(COMPLETE, params)
