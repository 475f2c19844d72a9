"""Who a request is: its bearer token (RFC 6750), checked against what the read side has proven
current, or everyone while access control is not enforced.

Enforcement is a fact in the database (on from the first token; AUTH_REQUIRED=true enforces even
before): every process and instance agrees on it. A token's secret is never logged, echoed or
counted: only its digest is looked up, and every refusal says the same thing.
"""

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from configsvc.access.principal import OPEN, Principal
from configsvc.access.secrets import digest, has_the_shape
from configsvc.errors import Forbidden, NotFound, Unauthenticated
from configsvc.views import kinds
from configsvc.views.access import Credential, Enforcement
from configsvc.views.answer import Answer
from configsvc.views.kinds import ReadKind
from configsvc.views.reader import Reader

AUTHORIZATION = "authorization"
NOT_VALID = "the token is not valid (unknown, expired, revoked or malformed)"
MISSING = "this service requires a token: Authorization: Bearer <token>"


@dataclass(frozen=True, slots=True)
class Authentication:
    """A request's principal, and the digest of the token it came from (None: no token)."""

    principal: Principal
    token_digest: bytes | None


# The digests of the well-formed Authorization headers seen lately, by the header as sent: a
# service's clients send the same few tokens on every request, and hashing each again cost an
# authenticated read about a microsecond and a half. The headers (secrets included) stay in this
# process's memory, where every request's own bytes pass anyway; they are never written anywhere.
# Whether a token is valid is still judged on every request (revocation is unaffected). Emptied
# when full.
_RECENT_DIGESTS: dict[str, bytes] = {}
MAX_RECENT_DIGESTS = 1024


def bearer_digest(authorization: str | None) -> bytes | None:
    """The digest of a well-formed bearer token; None without a header; Unauthenticated for a
    malformed one (no look-up: a header that cannot be a token is refused as it is)."""
    if authorization is None:
        return None
    known = _RECENT_DIGESTS.get(authorization)
    if known is not None:
        return known
    scheme, _, secret = authorization.strip(" \t").partition(" ")
    secret = secret.strip(" \t")
    if scheme.lower() != "bearer" or not has_the_shape(secret):
        raise Unauthenticated(NOT_VALID, token_sent=True)
    found = digest(secret)
    if len(_RECENT_DIGESTS) >= MAX_RECENT_DIGESTS:
        _RECENT_DIGESTS.clear()
    _RECENT_DIGESTS[authorization] = found
    return found


async def authenticate(
    reader: Reader,
    *,
    required: bool,
    authorization: str | None,
    also: tuple[tuple[ReadKind[Any], Hashable], ...] = (),
    from_database: bool = False,
) -> tuple[Authentication, list[Answer]]:
    """The request's authentication, and the answers of the reads in `also`, all proven by one sync
    round trip (or read from the database; always, with `from_database`: a write's). `required`:
    AUTH_REQUIRED."""
    token = bearer_digest(authorization)
    own = _reads(token)
    wanted = [*own, *also]
    answers = await (reader.read_from_database(wanted) if from_database else reader.read_together(wanted))
    principal = _principal(answers, token, required=required)
    return Authentication(principal, token), answers[len(own) :]


async def still_valid(reader: Reader, authentication: Authentication, *, required: bool) -> Principal:
    """The principal again, proven current (a held request's token may be revoked while it waits)."""
    token = authentication.token_digest
    return _principal(await reader.read_together(_reads(token)), token, required=required)


def _reads(token: bytes | None) -> list[tuple[ReadKind[Any], Hashable]]:
    wanted: list[tuple[ReadKind[Any], Hashable]] = [(kinds.ACCESS_CONTROL, "")]
    if token is not None:
        wanted.append((kinds.TOKEN, token))
    return wanted


def _principal(answers: list[Answer], token: bytes | None, *, required: bool) -> Principal:
    enforcement = answers[0].result()
    assert isinstance(enforcement, Enforcement)
    if not (required or enforcement.enforced):
        return OPEN
    if token is None:
        raise Unauthenticated(MISSING, token_sent=False)
    return valid(answers[1])


def valid(answer: Answer) -> Principal:
    """The principal of a token's answer; Unauthenticated if it is unknown, revoked or expired."""
    try:
        credential = answer.result()
    except NotFound:
        raise Unauthenticated(NOT_VALID, token_sent=True) from None
    assert isinstance(credential, Credential)
    if credential.revoked_at is not None or credential.principal.expired():  # reads the clock only if it expires
        raise Unauthenticated(NOT_VALID, token_sent=True)
    return credential.principal


def may_read_or_absent(principal: Principal, value: Any, absent: str) -> None:
    """What a token may not read is absent for it: the same 404 as for what does not exist."""
    if not principal.may_read(value.owner):
        raise NotFound(absent)


def may_write(principal: Principal, application_id: str | None, *, absent: Exception) -> None:
    """403 for a token that may read the application but not write it; `absent` (what a missing
    one gives) for one that may not even read it."""
    if principal.may_write(application_id):
        return
    if principal.may_read(application_id):
        raise Forbidden("this token may read this application but not change it")
    raise absent


def readable_value(principal: Principal, answer: Answer, absent: str) -> Any:
    """The answer's value if the principal may read it; else (or if there is none) the 404 it may
    see: a missing configuration named by its application's name says so only to a token that may
    read that application (the answer's first tag is the application then)."""
    try:
        value = answer.result()
    except NotFound:
        if principal.read_all or (answer.tags and principal.may_read(answer.tags[0])):
            raise
        raise NotFound(absent) from None
    may_read_or_absent(principal, value, absent)
    return value


async def read_as[K: Hashable](
    principal: Principal, reader: Reader, kind: ReadKind[K], key: K, *, from_database: bool = False
) -> tuple[Any, tuple[str, ...]]:
    """`reader.read`, as the principal may see it; with `from_database`, a write's (see `authenticate`)."""
    wanted: list[tuple[ReadKind[Any], Hashable]] = [(kind, key)]
    (answer,) = await (reader.read_from_database(wanted) if from_database else reader.read_together(wanted))
    return readable_value(principal, answer, kind.absent), answer.tags
