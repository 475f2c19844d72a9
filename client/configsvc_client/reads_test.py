"""Reads through `Client` against a real serve of the service (the `service` fixture), and, for
answers the service cannot be made to give here (401/403, a 502 from a proxy, a timeout), through
httpx.MockTransport."""

import logging
import time

import httpx
import pydantic
import pytest
from scripts.ports import free_port

from configsvc_client import Client, NotFound, Unauthorized, Unavailable
from configsvc_client.cache import LastKnownGood
from configsvc_client.reads import applications, configurations
from configsvc_client.request_builder import RequestBuilder
from configsvc_client.steps import Emit


class Settings(pydantic.BaseModel):
    debug: bool
    replicas: int


def refused_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def answering(status: int, **headers: str) -> httpx.MockTransport:
    body = {"type": "about:blank", "title": "x", "status": status, "detail": f"the {status} detail", "instance": "x"}
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body, headers=headers))


def test_get_returns_the_current_version_fresh(service, app_name, tmp_path):
    with Client(service.url, cache_dir=tmp_path) as client:
        written = client.put(app_name, "production", {"debug": True, "replicas": 2})
        snapshot = client.get(app_name, "production")
    assert snapshot.config == {"debug": True, "replicas": 2}
    assert (snapshot.etag, snapshot.version, snapshot.id, snapshot.application_id) == (
        '"1"',
        1,
        written.id,
        written.application_id,
    )
    assert (snapshot.source, snapshot.stale, snapshot.application, snapshot.name) == (
        "server",
        False,
        app_name,
        "production",
    )


def test_get_with_a_model_gives_a_validated_value(service, app_name):
    with Client(service.url) as client:
        client.put(app_name, "production", {"debug": True, "replicas": 2})
        assert client.get(app_name, "production", model=Settings).value == Settings(debug=True, replicas=2)


def test_names_of_any_characters_work(service):
    application, name = "pay ments/eu?&ü", "prod #1/é"
    with Client(service.url) as client:
        client.put(application, name, {"ok": True})
        assert client.get(application, name).config == {"ok": True}


def test_not_found_says_whether_the_application_or_the_configuration_is_missing(service, app_name):
    with Client(service.url) as client:
        with pytest.raises(NotFound) as missing_application:
            client.get(app_name, "production")
        client.put(app_name, "other", {})
        with pytest.raises(NotFound) as missing_configuration:
            client.get(app_name, "production")
    assert str(missing_application.value) == f"{app_name}/production: no application has this name (404)"
    assert str(missing_configuration.value) == (
        f"{app_name}/production: the application has no configuration with this name (404)"
    )
    assert missing_configuration.value.request_id


def test_unreachable_with_a_cached_copy_answers_from_it_stale_and_warns(service, app_name, tmp_path, caplog):
    with Client(service.url, cache_dir=tmp_path) as client:
        client.put(app_name, "production", {"debug": False, "replicas": 3})
        client.get(app_name, "production")
    # A cold start while the service is away: a new client, the same cache directory.
    with Client(refused_url(), cache_dir=tmp_path) as client, caplog.at_level(logging.WARNING):
        started = time.perf_counter()
        snapshot = client.get(app_name, "production", model=Settings)
        elapsed = time.perf_counter() - started
    assert (snapshot.source, snapshot.stale, snapshot.version) == ("cache", True, 1)
    assert snapshot.value == Settings(debug=False, replicas=3)
    assert f"{app_name}/production: the service is unreachable" in caplog.text
    assert "using the cached version 1 (stale)" in caplog.text
    assert elapsed < 1.0  # no retry loop before falling back (the bench measures it: a few ms)


def test_unreachable_with_nothing_cached_is_unavailable(tmp_path):
    with Client(refused_url(), cache_dir=tmp_path) as client, pytest.raises(Unavailable) as raised:
        client.get("payments", "production")
    assert "the service is unreachable" in str(raised.value)
    with Client(refused_url()) as client, pytest.raises(Unavailable):  # no cache at all
        client.get("payments", "production")


def seed_cache(directory, application: str = "payments", name: str = "production") -> None:
    """A cached copy, as an earlier run would have left it."""
    from configsvc_client.cache_test import snapshot

    LastKnownGood(directory).store(snapshot(application, name))


@pytest.mark.parametrize(
    "transport",
    [
        answering(500),
        answering(502),
        answering(503, **{"Retry-After": "1"}),
        httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("timed out"))),
        httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.RemoteProtocolError("disconnected"))),
    ],
    ids=["500", "502", "503", "timeout", "disconnected"],
)
def test_5xx_and_timeouts_answer_from_the_cache(transport, tmp_path):
    seed_cache(tmp_path)
    with Client("http://svc", cache_dir=tmp_path, transport=transport) as client:
        snapshot = client.get("payments", "production")
    assert (snapshot.source, snapshot.stale) == ("cache", True)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_raises_and_never_reads_the_cache(status, tmp_path):
    seed_cache(tmp_path)
    client = Client("http://svc", cache_dir=tmp_path, transport=answering(status))
    with client, pytest.raises(Unauthorized) as raised:
        client.get("payments", "production")
    assert str(raised.value) == f"payments/production: the {status} detail ({status})"
    assert LastKnownGood(tmp_path).load("payments", "production") is not None  # kept, just not served


def test_a_404_drops_the_cached_copy(service, app_name, tmp_path):
    seed_cache(tmp_path, app_name, "production")
    with Client(service.url, cache_dir=tmp_path) as client, pytest.raises(NotFound):
        client.get(app_name, "production")
    assert LastKnownGood(tmp_path).load(app_name, "production") is None
    with Client(refused_url(), cache_dir=tmp_path) as client, pytest.raises(Unavailable):
        client.get(app_name, "production")  # so an outage cannot bring a deleted configuration back


def test_a_version_the_model_refuses_raises_and_is_not_cached(service, app_name, tmp_path):
    with Client(service.url, cache_dir=tmp_path) as client, Client(service.url) as writer:
        writer.put(app_name, "production", {"debug": True, "replicas": 1})
        client.get(app_name, "production", model=Settings)
        writer.put(app_name, "production", {"debug": "maybe", "replicas": "many"})
        with pytest.raises(pydantic.ValidationError):
            client.get(app_name, "production", model=Settings)
    assert LastKnownGood(tmp_path).load(app_name, "production").version == 1  # still the last good one


def test_history_lists_every_version_newest_first_and_revision_reads_one(service, app_name):
    with Client(service.url) as client:
        for n in range(3):
            client.put(app_name, "production", {"n": n})
        history = client.history(app_name, "production")
        assert [(r.version, r.config) for r in history] == [(3, {"n": 2}), (2, {"n": 1}), (1, {"n": 0})]
        assert [r.version for r in client.history(app_name, "production", limit=2)] == [3, 2]
        assert client.revision(app_name, "production", 2).config == {"n": 1}
        with pytest.raises(NotFound):
            client.revision(app_name, "production", 9)


def emitted(plan, http: httpx.Client) -> list:
    """A plan that emits, run against the real service (the shells' loop, in miniature)."""
    values, step = [], next(plan)
    try:
        while True:
            if isinstance(step, Emit):
                values.append(step.value)
                step = plan.send(None)
            else:
                step = plan.send(http.send(step))
    except StopIteration:
        return values


def test_listings_follow_the_pages_to_the_end(service, app_name):
    with Client(service.url) as client:
        for n in range(5):
            client.put(app_name, f"c{n}", {"n": n})
        client.put(f"{app_name}-2", "x", {})
        client.put(f"{app_name}-3", "x", {})
        application = client.application(app_name)
        assert application.name == app_name
        assert [s.name for s in client.configurations(app_name)] == ["c0", "c1", "c2", "c3", "c4"]
    builder = RequestBuilder(service.url)
    with httpx.Client() as http:
        paged = emitted(configurations(builder, application, page=2), http)
        assert [(s.name, s.config, s.etag) for s in paged] == [(f"c{n}", {"n": n}, '"1"') for n in range(5)]
        names = [a.name for a in emitted(applications(builder, page=2), http)]
    assert names.index(app_name) < names.index(f"{app_name}-2") < names.index(f"{app_name}-3")
    assert len(names) == len(set(names))


def test_an_unknown_application_is_not_found(service, app_name):
    with Client(service.url) as client:
        with pytest.raises(NotFound, match="no such application"):
            client.application(app_name)
        with pytest.raises(NotFound):
            list(client.configurations(app_name))
