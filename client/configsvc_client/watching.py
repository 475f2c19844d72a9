"""The watch plan (see steps.py): the current version, then each change, for as long as the caller
iterates, whatever happens to the service in between.

- Held requests: the version it has goes in If-None-Match with `Prefer: wait=N`, so the service
  answers the moment the configuration changes; the next request leaves at once (no sleep after a
  successful poll).
- After any failure (refused, timed out, 5xx, 401/403, 404) it logs a WARNING, waits a jittered
  backoff capped at 30 s and asks again; the iterator never ends by itself.
- It resumes by reading the current version whole and comparing it with the last one it yielded
  (same id and ETag: not yielded again; anything else: yielded). So it never yields a version twice
  and never misses the latest, even when the configuration was deleted and created again while the
  service was away: the new one may carry the same version number, and an If-None-Match with the
  old ETag would then be answered 304.
"""

import logging
from typing import Any

import httpx

from configsvc_client.backoff import Backoff
from configsvc_client.errors import ConfigsvcError, NotFound
from configsvc_client.models import Model, Snapshot, T
from configsvc_client.problems import problem_error, retry_after, transport_error
from configsvc_client.reads import snapshot_of, subject
from configsvc_client.request_builder import RequestBuilder
from configsvc_client.steps import Drop, Emit, Load, Plan, Sleep, Store

logger = logging.getLogger("configsvc_client")

PREFERENCE_APPLIED = "Preference-Applied"
# A 304 that was not held (a server or proxy that ignores `Prefer: wait`) must not turn the watch
# into a busy loop: it polls this often instead.
UNHELD_POLL_SECONDS = 1.0


def watch(
    builder: RequestBuilder,
    application: str,
    name: str,
    model: Model[T] | None,
    *,
    wait: int,
    backoff: Backoff,
    since: Snapshot | None = None,
) -> Plan[None]:
    """Emit each new version of the configuration. `since`: a version the caller already has (from
    `get`), so the first one emitted is the next change."""
    about = subject(application, name)
    last: Snapshot | None = since  # the last version emitted (or the caller's own)
    holding = since.etag if since is not None else None  # the ETag held on; None: read it whole
    while True:
        failure: ConfigsvcError
        try:
            response = yield builder.by_name(application, name, etag=holding, wait=wait)
        except httpx.TransportError as error:
            failure, delay = transport_error(error, about), backoff.next_delay()
        else:
            if response.status_code == 200:
                backoff.reset()
                snapshot = snapshot_of(response, application)
                holding = snapshot.etag
                if not snapshot.same_version(last):
                    validated = _validated(snapshot, model, about)
                    if validated is not None:
                        yield Store(validated)
                        last = validated
                        yield Emit(validated)
                continue
            if response.status_code == 304:
                backoff.reset()
                if PREFERENCE_APPLIED not in response.headers:
                    yield Sleep(UNHELD_POLL_SECONDS)
                continue
            failure = problem_error(response, about)
            if isinstance(failure, NotFound):
                yield Drop(application, name)
            delay = backoff.next_delay(at_least=retry_after(response) or 0.0)
        holding = None
        if last is None:
            last = yield from _start_from_cache(application, name, model, about)
        logger.warning("watching: %s; trying again in %.1f s", failure, delay)
        yield Sleep(delay)


def _start_from_cache(application: str, name: str, model: Model[T] | None, about: str) -> Plan[Snapshot | None]:
    """Nothing yielded yet and the service cannot answer: the last-known-good version, if any,
    comes first (stale), so a service can start; the server's own is yielded only if it differs."""
    cached = yield Load(application, name)
    validated = None if cached is None else _validated(cached, model, about)
    if validated is not None:
        yield Emit(validated)
    return validated


def _validated(snapshot: Snapshot[Any], model: Model[T] | None, about: str) -> Snapshot[T] | None:
    """The snapshot validated by `model`; None (with a WARNING) when the model refuses it: a watch
    goes on with the version it has rather than handing its caller one it cannot use."""
    try:
        return snapshot.validated(model)
    except Exception as error:  # whatever the model raises (pydantic.ValidationError, ...)
        logger.warning(
            "watching %s: version %s is not valid for %r, skipped: %s", about, snapshot.version, model, error
        )
        return None
