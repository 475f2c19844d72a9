"""Idempotent creates: a retried POST with the same Idempotency-Key replays the first response."""

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, WithJsonSchema

from configsvc.errors import IdempotencyKeyReused
from configsvc.unit_of_work import UnitOfWork

KEY_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$"
_KEY = re.compile(KEY_PATTERN)
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers of the first response that a replay repeats.
STORED_HEADERS = ("location", "etag", "content-type")


_KEY_DESCRIPTION = (
    "1-255 printable ASCII characters. A retry with the same key and body returns the first response (status, "
    "headers, body) without creating anything; the same key with another body is a 422. Keys are kept for 24 hours."
)


async def idempotency_key(
    key: Annotated[
        str | None,
        # Documented as a string, never null: a generated client must not offer to send None (httpx
        # cannot send a header without a value, and would raise TypeError).
        WithJsonSchema(
            {
                "type": "string",
                "pattern": KEY_PATTERN,
                "minLength": 1,
                "maxLength": 255,
                "description": _KEY_DESCRIPTION,
            }
        ),
        Header(alias="Idempotency-Key", description=_KEY_DESCRIPTION),
    ] = None,
) -> str | None:
    """Checked as a dependency, so a malformed key is refused before the body is looked at.

    `async` so that FastAPI does not run it in a thread pool (it does no I/O).
    """
    if key is not None and not _KEY.fullmatch(key):
        error = {"loc": ("header", "idempotency-key"), "msg": "Must be 1-255 printable ASCII characters"}
        raise RequestValidationError([error | {"type": "idempotency_key"}])
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def body_hash(body: BaseModel) -> str:
    """The body as JSON values, not bytes: keys sorted, so a retry that orders its keys otherwise
    (or spaces them otherwise) is the same request."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def idempotent(
    uow: UnitOfWork, request: Request, key: str | None, body: BaseModel, create: Callable[[], Awaitable[Response]]
) -> Response:
    """Run `create` once per key; store its response in the same transaction as its write."""
    if key is None:
        return await create()
    method, path = request.method, request.url.path
    request_hash = body_hash(body)
    stored = await uow.idempotency.claim(method=method, path=path, key=key, request_hash=request_hash)
    if stored is not None:
        if stored.request_hash != request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request body", field="idempotency-key"
            )
        return Response(stored.body, status_code=stored.status, headers=stored.headers | {REPLAYED_HEADER: "true"})
    response = await create()
    headers = {name: value for name, value in response.headers.items() if name in STORED_HEADERS}
    await uow.idempotency.complete(
        method=method, path=path, key=key, status=response.status_code, headers=headers, body=bytes(response.body)
    )
    return response
