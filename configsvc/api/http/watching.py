"""Held conditional GETs: `Prefer: wait=N` (RFC 7240) with If-None-Match answers when the
resource changes, or after N seconds with a 304.

While the ETag sent is current, the request waits (holding no database connection) for a hint
that the resource changed, then reads again: a 200 only ever carries an ETag other than the one
sent, a 404 means it was deleted, and at the deadline, or when the service shuts down, a 304.
"""

import asyncio
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import Headers
from starlette.types import Scope

from configsvc.api.deps import services_of
from configsvc.api.http.auth import NOT_VALID, Authentication, read_as, still_valid
from configsvc.api.http.conditions import IF_NONE_MATCH, none_match
from configsvc.api.http.problems import domain_error_response
from configsvc.api.http.responses import conditional_response
from configsvc.db import deadline as database_deadline
from configsvc.errors import NotFound, ServiceUnavailable, Unauthenticated
from configsvc.views import kinds
from configsvc.views.kinds import ReadKind
from configsvc.views.reader import Reader
from configsvc.views.tags import ACCESS_CONTROL
from configsvc.views.tags import token as token_tag
from configsvc.views.watch import Waiter, Watches

PREFER = "Prefer"
# While the database is unreachable, a held request asks again this often (a reconnected listener
# also wakes it at once).
RETRY_SECONDS = 0.5
PREFERENCE_APPLIED = "Preference-Applied"
# A preference is a token, optionally = a token or quoted string, then ;-parameters (RFC 7240 §2).
_WAIT = re.compile(r'\s*wait\s*=\s*"?(\d{1,9})"?\s*(?:;.*)?', re.IGNORECASE | re.DOTALL)


def requested_wait(prefer: str | None) -> int | None:
    """The `wait` preference in seconds, or None; an unreadable one is ignored (RFC 7240 §2)."""
    if not prefer:
        return None
    for preference in prefer.split(","):
        match = _WAIT.fullmatch(preference)
        if match is not None:
            return int(match.group(1))
    return None


async def watched[K: Hashable](
    request: Request, auth: Authentication, kind: ReadKind[K], key: K, **page: Any
) -> Response:
    """GET `key` of `kind` through the read side, held as the Prefer and If-None-Match headers ask;
    what the request's token may not read is absent."""
    return await watched_response(request.scope, request.headers, auth, kind, key, **page)


async def watched_response[K: Hashable](
    scope: Scope,
    headers: Headers,
    auth: Authentication,
    kind: ReadKind[K],
    key: K,
    *,
    first: tuple[Any, tuple[str, ...]] | None = None,
    **page: Any,
) -> Response:
    """`watched` for a bare ASGI scope (the fast path holds with it too, so a held request keeps no
    more of the stack than it needs: what a held request costs in memory is mostly stack frames).
    `first`: the value and tags already read (proven) for this request, if any."""
    services = services_of(scope)
    reader, watches = services.reader, services.watches
    if_none_match = headers.get(IF_NONE_MATCH)
    wait = requested_wait(headers.get(PREFER))
    if wait is not None:
        wait = min(wait, services.settings.watch_max_seconds)
    if not wait or if_none_match is None or watches.closing:
        value, _ = first or await read_as(auth.principal, reader, kind, key)
        return conditional_response(value, if_none_match, **page)
    # Register first, then read: a change from here on wakes it; one before, the read shows. The
    # tags of a read by name are known only from a read, which is then done twice.
    tags = kind.tags_before_read(key)
    if tags is None:
        value, tags = first or await read_as(auth.principal, reader, kind, key)
        if not none_match(if_none_match, value.etag):
            return conditional_response(value, if_none_match, **page)
    # A held request also wakes when its token changes (revoked: it is answered 401 at once).
    principal = auth.principal
    also = (token_tag(principal.token_id), ACCESS_CONTROL) if principal.enforced else ()
    waiter = watches.hold(kind, key, None, tags + also)
    holding = Holding(services.settings.auth_required, auth, also)
    # Every read ends within the database's bound; all of them together within the wait plus one.
    with database_deadline.bounded(wait + services.database.call_timeout):
        try:
            return await _held(scope, reader, watches, waiter, holding, if_none_match, wait, page)
        finally:
            watches.release(waiter)


@dataclass(frozen=True, slots=True)
class Holding:
    """What a held request re-checks each time it wakes: its token, still valid."""

    auth_required: bool
    auth: Authentication
    also: tuple[str, ...]  # the tags of the token, woken by its changes

    def token_may_have_changed(self, reader: Reader) -> bool:
        """A change to the token (or to enforcement) evicts it from the cache and wakes the held
        request: while both are still cached, nothing was heard of either."""
        if not self.auth.principal.enforced:
            return False
        digest = self.auth.token_digest
        return (
            digest is None or reader.peek(kinds.TOKEN, digest) is None or reader.peek(kinds.ACCESS_CONTROL, "") is None
        )


async def _held(
    scope: Scope,
    reader: Reader,
    watches: Watches,
    waiter: Waiter,
    holding: Holding,
    if_none_match: str,
    wait: int,
    page: dict[str, Any],
) -> Response:
    kind, key = waiter.kind, waiter.key
    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + wait
    unavailable: ServiceUnavailable | None = None
    principal = holding.auth.principal
    woken = False
    while True:
        last = watches.closing or loop_time() >= deadline  # this read answers, whatever it finds
        # The cache, unproven, may say "still the ETag sent": then wait on. It may be missing a
        # change not heard yet, but the waiter is registered, so hearing it will wake the waiter
        # (or the reconcile will). Saying "changed", or the answer itself, takes a proven read.
        if woken and holding.token_may_have_changed(reader):
            try:
                principal = await still_valid(reader, holding.auth, required=holding.auth_required)
            except ServiceUnavailable as error:  # the database is away: hold on, and ask again shortly
                unavailable = error
                if last:
                    break
                woken = await watches.woken(waiter, min(max(0.0, deadline - loop_time()), RETRY_SECONDS))
                continue
        peeked = None if last else reader.peek(kind, key)
        if peeked is not None and none_match(if_none_match, peeked[0].etag):
            unavailable = None
            watches.seen(waiter, peeked[0].etag, peeked[1] + holding.also)
        else:
            try:
                value, tags = await read_as(principal, reader, kind, key)
                unavailable = None
            except NotFound as gone:  # deleted while held
                return _applied(domain_error_response(scope, gone), wait)
            except ServiceUnavailable as error:
                unavailable = error  # the database is away: hold on, and ask again shortly
            if unavailable is None:
                if not none_match(if_none_match, value.etag):
                    held = waiter.etag is not None  # answered at its first look: it was never held
                    response = conditional_response(value, if_none_match, **page)
                    return _applied(response, wait) if held else response
                watches.seen(waiter, value.etag, tags + holding.also)
            if last:
                break
        remaining = max(0.0, deadline - loop_time())
        woken = await watches.woken(waiter, remaining if unavailable is None else min(remaining, RETRY_SECONDS))
        if principal.expires_at is not None and principal.expired():
            raise Unauthenticated(NOT_VALID, token_sent=True)
    if unavailable is not None:
        raise unavailable  # nothing current to answer with: a 503 that asks to retry
    return _applied(conditional_response(value, if_none_match, **page), wait)


def _applied(response: Response, wait: int) -> Response:
    response.headers[PREFERENCE_APPLIED] = f"wait={wait}"
    return response
