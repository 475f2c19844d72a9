"""The one definition of each JSON representation the API returns, of its ETag, and of its rendering.

A representation is the fields below, in this order, rendered by PostgreSQL's `row_to_json`:
compact JSON, strings escaped exactly as Python's `json` would, `config` as jsonb prints it. Every
route selects the same fields and renders them the same way, reads and writes alike, so one version
of a resource is one byte sequence, whichever route returns it (the strong ETag depends on that).
The Pydantic models in `schemas.py` describe the same shapes for OpenAPI; a test holds them equal.

ETags are written here once, as SQL over a row: reads select them, and conditional writes compare
If-Match against the same expression in their WHERE clause.

Every SQL text here is assembled from constants at import time, never from input.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from configsvc.db.statements import Row

# RFC 3339 in UTC with microseconds (2026-11-26T06:05:04.123456Z): the one timestamp format.
_TIMESTAMP = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def timestamp(column: str) -> str:
    return _TIMESTAMP.format(column)


# Select-lists over a table aliased as below (c: configurations, a: applications, r: revisions).
CONFIGURATION_FIELDS = (
    "c.id, c.application_id, c.name, c.comments, c.config, c.version, "
    f"{timestamp('c.created_at')} AS created_at, {timestamp('c.updated_at')} AS updated_at"
)
APPLICATION_SUMMARY_FIELDS = (
    "a.id, a.name, a.comments, a.version, a.seq, "
    f"{timestamp('a.created_at')} AS created_at, {timestamp('a.updated_at')} AS updated_at"
)
# The ids of the application's configurations in id (creation) order, read from the
# (application_id, id) index in the same statement.
APPLICATION_FIELDS = (
    f"{APPLICATION_SUMMARY_FIELDS}, "
    "array_to_json(ARRAY(SELECT k.id FROM configurations k WHERE k.application_id = a.id ORDER BY k.id))"
    " AS configuration_ids"
)
# Who made a revision: the token's id and name, or null (made while access control was not enforced).
ACTOR = (
    "CASE WHEN {row}.actor_token_id IS NULL THEN NULL "
    "ELSE json_build_object('token_id', {row}.actor_token_id, 'name', {row}.actor_name) END"
)
REVISION_FIELDS = (
    f"r.configuration_id, r.version, r.name, r.comments, r.config, {timestamp('r.created_at')} AS created_at, "
    f"{ACTOR.format(row='r')} AS actor"
)


TOKEN_FIELDS = (
    "t.id, t.name, t.scopes, "
    f"{timestamp('t.created_at')} AS created_at, {timestamp('t.expires_at')} AS expires_at, "
    f"{timestamp('t.revoked_at')} AS revoked_at"
)
AUDIT_EVENT_FIELDS = (
    f"e.id, {timestamp('e.at')} AS at, {ACTOR.format(row='e')} AS actor, e.request_id, e.action, "
    "json_build_object('kind', e.resource_kind, 'id', e.resource_id) AS resource, e.application_id, e.version"
)


def configuration_etag(row: str) -> str:
    """A configuration's ETag: its version, `"3"`."""
    return f"""('"' || {row}.version || '"')"""


def application_etag(row: str) -> str:
    """An application's ETag covers its whole representation: its version (name, comments) and its
    seq (which moves with every change to its configurations, so with configuration_ids): `"2.7"`."""
    return f"""('"' || {row}.version || '.' || {row}.seq || '"')"""


def collection_etag(application_row: str) -> str:
    """The ETag of an application's configurations: its seq, `"7"`."""
    return f"""('"' || {application_row}.seq || '"')"""


def one(fields: str, source: str, *, etag: str = "NULL", key: str = "NULL", owner: str = "NULL") -> str:
    """SQL giving, for each row of `source` (the rest of a SELECT after its field list: FROM, WHERE,
    ...), its representation (`body`), its ETag (`etag`, SQL over the row `shown`), `key`, and
    `owner`: the application it belongs to, which access control judges a read by."""
    return f"""SELECT {key} AS key, {etag} AS etag, {owner} AS owner, row_to_json(shown)::text AS body
FROM (SELECT {fields} {source}) shown"""


def page(fields: str, source: str, *, order: str, last: str, owner: str = "NULL", parts: bool = False) -> str:
    """SQL giving one page as a JSON array (`body`), the cursor of its last row (`last`, an aggregate
    such as `max(id)`), whether more rows follow (`more`) and its `owner` (see `one`). `source` ends
    with ORDER BY `order`; the page is %(limit)s rows, and one more is read to know whether there is
    a next page. string_agg keeps the array compact. With `parts`, instead of `body`: the rows' ids
    (`ids`) and representations (`items`), in order, from which `Page.of_items` makes the same body."""
    if parts:
        shown = f"""(SELECT array_agg(id ORDER BY {order}) FROM shown) AS ids,
       (SELECT array_agg(row_to_json(shown)::text ORDER BY {order}) FROM shown) AS items"""
    else:
        shown = f"""(SELECT '[' || coalesce(string_agg(row_to_json(shown)::text, ',' ORDER BY {order}), '') || ']'
        FROM shown) AS body"""
    return f"""
WITH candidates AS (SELECT {fields} {source} LIMIT %(limit)s + 1),
     shown AS (SELECT * FROM candidates ORDER BY {order} LIMIT %(limit)s)
SELECT {shown},
       (SELECT {last} FROM shown) AS last,
       (SELECT count(*) FROM candidates) > %(limit)s AS more,
       {owner} AS owner
"""


# Not frozen: a read from memory makes one from what the cache keeps (`kept`), and a frozen
# dataclass's __init__ costs four times a plain one's (0.51 against 0.14 us). Nothing changes one.
@dataclass(slots=True)
class Representation:
    """One resource's JSON as sent, and its strong ETag (None for revisions, which carry none)."""

    body: bytes
    etag: str | None
    owner: str | None = field(default=None, compare=False)  # its application, where a read is judged by it

    @classmethod
    def from_row(cls, row: Row) -> "Representation":
        return cls(row["body"].encode(), row["etag"], row.get("owner"))

    def kept(self) -> tuple[bytes, str | None, str | None]:
        """As the read cache keeps it: a plain tuple, which the garbage collector stops tracking."""
        return (self.body, self.etag, self.owner)

    @classmethod
    def restored(cls, kept: tuple[bytes, str | None, str | None]) -> "Representation":
        return cls(*kept)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def size(self) -> int:
        return len(self.body)


def next_cursor(row: Row) -> str | None:
    """The cursor of the page after a `page` row's, None for the last page."""
    return str(row["last"]) if row["more"] and row["last"] is not None else None


@dataclass(frozen=True, slots=True)
class Page:
    """A page of a collection as a JSON array, with the cursor of the next page while more remain,
    and the collection's ETag where it has one."""

    body: bytes
    next_cursor: str | None
    etag: str | None = None
    owner: str | None = field(default=None, compare=False)  # as Representation's

    @classmethod
    def from_row(cls, row: Row) -> "Page":
        return cls(row["body"].encode(), next_cursor(row), row.get("etag"), row.get("owner"))

    @classmethod
    def of_items(cls, items: list[bytes], next_cursor: str | None) -> "Page":
        """The page of these representations, byte for byte what `page` gives as its body."""
        return cls(b"[" + b",".join(items) + b"]", next_cursor)

    def kept(self) -> tuple[bytes, str | None, str | None, str | None]:
        """As the read cache keeps it (`Representation.kept`)."""
        return (self.body, self.next_cursor, self.etag, self.owner)

    @classmethod
    def restored(cls, kept: tuple[bytes, str | None, str | None, str | None]) -> "Page":
        return cls(*kept)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def size(self) -> int:
        return len(self.body)
