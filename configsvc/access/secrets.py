"""Token secrets: made from 32 random bytes, recognisable by their prefix (secret scanners look for
it), and kept only as a SHA-256: the database never holds a secret, so a leak of it leaks none."""

import hashlib
import re
import secrets

PREFIX = "cfgsvc_"
_SHAPE = re.compile(r"cfgsvc_[A-Za-z0-9_-]{43}")


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)  # 32 bytes: 43 base64url characters


def has_the_shape(value: str) -> bool:
    """Whether `value` could be a secret at all (else it is refused without a look-up)."""
    return _SHAPE.fullmatch(value) is not None


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("ascii")).digest()
