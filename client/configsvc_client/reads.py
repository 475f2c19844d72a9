"""Plans (see steps.py) for reading: a configuration by names with the last-known-good fallback,
its history, and the listings export walks page by page."""

import logging
from typing import Any

import httpx

from configsvc_client.errors import NotFound, Unavailable
from configsvc_client.models import Application, Model, Revision, Snapshot, T
from configsvc_client.problems import problem_error, transport_error
from configsvc_client.request_builder import RequestBuilder
from configsvc_client.steps import Drop, Emit, Load, Plan, Store

logger = logging.getLogger("configsvc_client")

PAGE = 1000  # the service's largest page


def subject(application: str, name: str) -> str:
    return f"{application}/{name}"


def exchange(request: httpx.Request, about: str) -> Plan[httpx.Response]:
    """Send `request`; a transport failure becomes Unavailable."""
    try:
        return (yield request)
    except httpx.TransportError as error:
        raise transport_error(error, about) from error


def expect(response: httpx.Response, about: str, *statuses: int) -> httpx.Response:
    if response.status_code not in (statuses or (200,)):
        raise problem_error(response, about)
    return response


def etag_of_version(version: int) -> str:
    """A configuration's ETag is its version in quotes (the service's contract); collection pages
    carry one ETag for the whole page, so an item's is made from its version."""
    return f'"{version}"'


def snapshot_of(response: httpx.Response, application: str) -> Snapshot[dict[str, Any]]:
    body = response.json()
    return Snapshot.from_representation(
        application, body, response.headers.get("ETag") or etag_of_version(body["version"])
    )


def get(builder: RequestBuilder, application: str, name: str, model: Model[T] | None) -> Plan[Snapshot[T]]:
    """The current version, kept in the cache; the cached one, stale, when the service cannot answer."""
    about = subject(application, name)
    try:
        response = yield builder.by_name(application, name)
    except httpx.TransportError as error:
        return (yield from cached(application, name, model, transport_error(error, about)))
    if response.status_code == 200:
        # Validated before it is stored: a version the caller's model refuses is not "good".
        snapshot = snapshot_of(response, application).validated(model)
        yield Store(snapshot)
        return snapshot
    error = problem_error(response, about)
    if isinstance(error, NotFound):
        yield Drop(application, name)  # deleted: a later outage must not bring it back
    elif isinstance(error, Unavailable):
        return (yield from cached(application, name, model, error))
    raise error  # 401/403 among them: a refused token never reads the cache


def cached(application: str, name: str, model: Model[T] | None, error: Unavailable) -> Plan[Snapshot[T]]:
    """The last-known-good snapshot instead of `error`, or `error` when there is none."""
    snapshot = yield Load(application, name)
    if snapshot is None:
        raise error
    logger.warning("%s; using the cached version %s (stale)", error, snapshot.version)
    return snapshot.validated(model)


def current(builder: RequestBuilder, application: str, name: str) -> Plan[Snapshot[dict[str, Any]]]:
    """The current version, fresh or an error (for writes and history: never the cache)."""
    about = subject(application, name)
    response = yield from exchange(builder.by_name(application, name), about)
    return snapshot_of(expect(response, about), application)


def history(builder: RequestBuilder, application: str, name: str, limit: int | None) -> Plan[list[Revision]]:
    """The configuration's revisions, newest first, all of them or the `limit` newest."""
    about = subject(application, name)
    configuration = yield from current(builder, application, name)
    revisions: list[Revision] = []
    request: httpx.Request | None = builder.revisions(configuration.id, limit=min(limit or PAGE, PAGE))
    while request is not None and (limit is None or len(revisions) < limit):
        response = expect((yield from exchange(request, about)), about)
        revisions += [Revision.from_representation(item) for item in response.json()]
        request = builder.next_page(response)
    return revisions[:limit] if limit is not None else revisions


def revision(builder: RequestBuilder, application: str, name: str, version: int) -> Plan[Revision]:
    about = subject(application, name)
    configuration = yield from current(builder, application, name)
    response = yield from exchange(builder.revision(configuration.id, version), about)
    return Revision.from_representation(expect(response, f"{about} version {version}").json())


def application(builder: RequestBuilder, name: str) -> Plan[Application]:
    response = expect((yield from exchange(builder.applications(name=name, limit=1), name)), name)
    found = response.json()
    if not found:
        raise NotFound(f"{name}: no such application", status=404)
    return Application.from_representation(found[0])


def applications(builder: RequestBuilder, *, page: int = PAGE) -> Plan[None]:
    """Every application, in id (creation) order, a page at a time."""
    request: httpx.Request | None = builder.applications(limit=page)
    while request is not None:
        response = expect((yield from exchange(request, "applications")), "applications")
        for item in response.json():
            yield Emit(Application.from_representation(item))
        request = builder.next_page(response)


def configurations(builder: RequestBuilder, of: str | Application, *, page: int = PAGE) -> Plan[None]:
    """Every configuration of an application (its name, or the Application itself, which saves
    looking it up), in id (creation) order, a page at a time. Listings leave the cache alone: it
    keeps what get, watch and writes received."""
    owner = of if isinstance(of, Application) else (yield from application(builder, of))
    request: httpx.Request | None = builder.configurations_of(owner.id, limit=page)
    while request is not None:
        response = expect((yield from exchange(request, owner.name)), owner.name)
        for item in response.json():
            yield Emit(Snapshot.from_representation(owner.name, item, etag_of_version(item["version"])))
        request = builder.next_page(response)
