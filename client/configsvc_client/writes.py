"""Plans (see steps.py) for writing by names: create or replace, delete, restore.

The service addresses writes by id; these resolve the names first and then write with If-Match
set to the version they resolved (the caller's own If-Match when given), so a write never lands on
a configuration that changed, was renamed or was replaced under its name in between. When the
caller gave no If-Match, such a race is simply resolved again, a few times at most.
"""

import logging
from typing import Any

import httpx

from configsvc_client.errors import Conflict, NotFound, PreconditionFailed
from configsvc_client.models import Application, Snapshot
from configsvc_client.problems import problem_error, problem_type
from configsvc_client.reads import application, current, exchange, expect, snapshot_of, subject
from configsvc_client.request_builder import RequestBuilder
from configsvc_client.steps import Drop, Plan, Store

logger = logging.getLogger("configsvc_client")

ATTEMPTS = 5


class Keep:
    """The default of `comments=`: leave the comments as they are (None would clear them)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = Keep()


def put(
    builder: RequestBuilder,
    application_name: str,
    name: str,
    config: dict[str, Any],
    *,
    comments: str | Keep | None = KEEP,
    if_match: str | None = None,
) -> Plan[Snapshot[dict[str, Any]]]:
    """Create the configuration (and its application, when that is missing too) or replace it."""
    if not isinstance(config, dict):
        raise TypeError(f"a configuration is a JSON object (a dict), not {type(config).__name__}")
    about = subject(application_name, name)
    for _ in range(ATTEMPTS):
        response = yield from exchange(builder.by_name(application_name, name), about)
        if response.status_code == 200:
            existing = snapshot_of(response, application_name)
            text = existing.comments if isinstance(comments, Keep) else comments
            body = {"name": name, "comments": text, "config": config}
            request = builder.replace(existing.id, body, if_match=if_match or existing.etag)
            written = yield from exchange(request, about)
        elif response.status_code == 404:
            if if_match is not None:
                raise PreconditionFailed(f"{about}: it does not exist (deleted?); If-Match {if_match} cannot hold")
            owner = yield from ensure_application(builder, application_name)
            text = None if isinstance(comments, Keep) else comments
            body = {"application_id": owner.id, "name": name, "comments": text, "config": config}
            written = yield from exchange(builder.create(body), about)
        else:
            raise problem_error(response, about)
        if written.status_code in (200, 201):
            snapshot = snapshot_of(written, application_name)
            yield Store(snapshot)
            return snapshot
        if if_match is not None and written.status_code == 404:
            raise PreconditionFailed(f"{about}: it was deleted; If-Match {if_match} cannot hold", status=404)
        if if_match is not None or not _raced(written):
            raise problem_error(written, about)
        logger.info("%s changed while it was written; resolving it again", about)
    raise Conflict(f"{about}: it kept changing while it was written ({ATTEMPTS} attempts)")


def create(
    builder: RequestBuilder,
    of: str | Application,
    name: str,
    config: dict[str, Any],
    *,
    comments: str | None = None,
) -> Plan[Snapshot[dict[str, Any]]]:
    """Create a configuration that must not exist yet (Conflict if it does), in the application
    named `of` (created when missing) or in the Application given, which saves looking it up: one
    request per configuration for a bulk load such as `configsvc import`."""
    if not isinstance(config, dict):
        raise TypeError(f"a configuration is a JSON object (a dict), not {type(config).__name__}")
    owner = of if isinstance(of, Application) else (yield from ensure_application(builder, of))
    about = subject(owner.name, name)
    body = {"application_id": owner.id, "name": name, "comments": comments, "config": config}
    response = yield from exchange(builder.create(body), about)
    snapshot = snapshot_of(expect(response, about, 201), owner.name)
    yield Store(snapshot)
    return snapshot


def _raced(response: httpx.Response) -> bool:
    """Another writer got between our read and our write: it changed (412), was deleted (404),
    created (409) or its application went away (422, an unknown application_id)."""
    if response.status_code in (404, 409, 412):
        return True
    return response.status_code == 422 and problem_type(response).endswith(":unknown-reference")


def ensure_application(builder: RequestBuilder, name: str, comments: str | None = None) -> Plan[Application]:
    """The application named `name`, created (with `comments`) when it does not exist."""
    for _ in range(ATTEMPTS):
        try:
            return (yield from application(builder, name))
        except NotFound:
            pass
        response = yield from exchange(builder.create_application({"name": name, "comments": comments}), name)
        if response.status_code == 201:
            return Application.from_representation(response.json())
        if response.status_code != 409:  # 409: created by someone else meanwhile; read it
            raise problem_error(response, name)
    raise Conflict(f"{name}: the application kept changing while it was created ({ATTEMPTS} attempts)")


def put_application(builder: RequestBuilder, name: str, *, comments: str | Keep | None = KEEP) -> Plan[Application]:
    """Create the application, or set its comments; writes nothing when they are already so."""
    text = None if isinstance(comments, Keep) else comments
    existing = yield from ensure_application(builder, name, text)
    if isinstance(comments, Keep) or existing.comments == comments:
        return existing
    request = builder.replace_application(existing.id, {"name": name, "comments": comments})
    response = expect((yield from exchange(request, name)), name)
    return Application.from_representation(response.json())


def delete(builder: RequestBuilder, application_name: str, name: str, *, if_match: str | None) -> Plan[None]:
    about = subject(application_name, name)
    for _ in range(ATTEMPTS):
        try:
            existing = yield from current(builder, application_name, name)
        except NotFound:
            yield Drop(application_name, name)
            raise
        response = yield from exchange(builder.delete(existing.id, if_match=if_match or existing.etag), about)
        if response.status_code == 204:
            yield Drop(application_name, name)
            return
        if if_match is not None or response.status_code not in (404, 412):
            raise problem_error(response, about)
    raise Conflict(f"{about}: it kept changing while it was deleted ({ATTEMPTS} attempts)")


def restore(
    builder: RequestBuilder, application_name: str, name: str, version: int, *, if_match: str | None
) -> Plan[Snapshot[dict[str, Any]]]:
    """A new version with the name, comments and config of `version` (history is never rewritten)."""
    about = subject(application_name, name)
    existing = yield from current(builder, application_name, name)
    response = yield from exchange(builder.restore(existing.id, version, if_match=if_match), about)
    snapshot = snapshot_of(expect(response, f"{about} version {version}"), application_name)
    yield Store(snapshot)
    return snapshot
