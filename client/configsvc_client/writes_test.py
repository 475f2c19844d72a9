"""Writes by names through `Client` against a real serve, and the races they resolve through
httpx.MockTransport (a scripted sequence of answers)."""

import json

import httpx
import pytest

from configsvc_client import KEEP, Application, Client, Conflict, NotFound, PreconditionFailed, Rejected
from configsvc_client.cache import LastKnownGood


def test_put_creates_the_application_and_the_configuration_then_replaces_it(service, app_name, tmp_path):
    with Client(service.url, cache_dir=tmp_path) as client:
        created = client.put(app_name, "production", {"debug": False})
        replaced = client.put(app_name, "production", {"debug": True})
        assert client.application(app_name).name == app_name
    assert (created.version, replaced.version, replaced.id) == (1, 2, created.id)
    assert replaced.config == {"debug": True}
    assert LastKnownGood(tmp_path).load(app_name, "production").version == 2  # what a write received is cached


def test_put_into_an_existing_application_keeps_it(service, app_name):
    with Client(service.url) as client:
        first = client.put(app_name, "a", {})
        second = client.put(app_name, "b", {})
    assert first.application_id == second.application_id


def test_put_keeps_the_comments_unless_told(service, app_name):
    with Client(service.url) as client:
        client.put(app_name, "production", {"v": 1}, comments="owned by the payments team")
        assert client.put(app_name, "production", {"v": 2}).comments == "owned by the payments team"
        assert client.put(app_name, "production", {"v": 3}, comments=KEEP).comments == "owned by the payments team"
        assert client.put(app_name, "production", {"v": 4}, comments=None).comments is None


def test_put_with_a_stale_if_match_fails_and_says_what_is_current(service, app_name):
    with Client(service.url) as client:
        opened = client.put(app_name, "production", {"v": 1})
        client.put(app_name, "production", {"v": 2})
        with pytest.raises(PreconditionFailed) as raised:
            client.put(app_name, "production", {"v": 3}, if_match=opened.etag)
        assert raised.value.current_etag == '"2"'
        assert "the configuration has changed since that ETag" in str(raised.value)
        assert client.get(app_name, "production").config == {"v": 2}  # nothing written
        assert client.put(app_name, "production", {"v": 3}, if_match='"2"').version == 3


def test_put_with_if_match_on_a_missing_configuration_fails_rather_than_creating_it(service, app_name):
    with Client(service.url) as client:
        with pytest.raises(PreconditionFailed, match="does not exist") as raised:
            client.put(app_name, "production", {"v": 1}, if_match='"1"')
        assert raised.value.current_etag is None
        with pytest.raises(NotFound):
            client.get(app_name, "production")


def test_put_refuses_a_config_that_is_not_an_object(service, app_name):
    with Client(service.url) as client, pytest.raises(TypeError, match="JSON object"):
        client.put(app_name, "production", [1, 2])  # type: ignore[arg-type]


def test_what_the_service_refuses_is_rejected_with_its_reasons(service, app_name):
    deep: dict = {}
    for _ in range(40):
        deep = {"d": deep}
    with Client(service.url) as client, pytest.raises(Rejected) as raised:
        client.put(app_name, "production", deep)
    assert raised.value.status == 422
    assert raised.value.errors


def test_delete_removes_it_and_its_cached_copy(service, app_name, tmp_path):
    with Client(service.url, cache_dir=tmp_path) as client:
        client.put(app_name, "production", {})
        client.delete(app_name, "production")
        with pytest.raises(NotFound):
            client.get(app_name, "production")
        with pytest.raises(NotFound):
            client.delete(app_name, "production")
    assert LastKnownGood(tmp_path).load(app_name, "production") is None


def test_delete_with_a_stale_if_match_deletes_nothing(service, app_name):
    with Client(service.url) as client:
        client.put(app_name, "production", {"v": 1})
        client.put(app_name, "production", {"v": 2})
        with pytest.raises(PreconditionFailed) as raised:
            client.delete(app_name, "production", if_match='"1"')
        assert raised.value.current_etag == '"2"'
        client.delete(app_name, "production", if_match='"2"')


def test_restore_writes_an_old_versions_content_as_a_new_version(service, app_name):
    with Client(service.url) as client:
        client.put(app_name, "production", {"v": 1})
        client.put(app_name, "production", {"v": 2})
        restored = client.restore(app_name, "production", 1)
        assert (restored.version, restored.config) == (3, {"v": 1})
        with pytest.raises(PreconditionFailed):
            client.restore(app_name, "production", 2, if_match='"2"')
        with pytest.raises(NotFound):
            client.restore(app_name, "production", 7)


def test_put_application_creates_or_sets_comments_and_writes_nothing_when_equal(service, app_name):
    with Client(service.url) as client:
        created = client.put_application(app_name, comments="first")
        same = client.put_application(app_name, comments="first")
        changed = client.put_application(app_name, comments="second")
        kept = client.put_application(app_name)
    assert (created.version, same.version, changed.version, kept.version) == (1, 1, 2, 2)
    assert (created.comments, changed.comments, kept.comments) == ("first", "second", "second")


class Scripted:
    """A MockTransport answering each request with the next of `answers` (status, body, headers)."""

    def __init__(self, answers: list[tuple[int, dict | None, dict]]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body, headers = self.answers.pop(0)
        return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status)


def configuration(version: int) -> tuple[int, dict, dict]:
    body = {
        "id": "01J0000000000000000000000C",
        "application_id": "01J0000000000000000000000A",
        "name": "production",
        "comments": "kept",
        "config": {"v": version},
        "version": version,
        "created_at": "2026-11-26T06:05:04.123456Z",
        "updated_at": "2026-11-26T06:05:04.123456Z",
    }
    return 200, body, {"ETag": f'"{version}"'}


STALE = (412, {"status": 412, "detail": "the configuration has changed since that ETag", "current_etag": '"3"'}, {})


def test_a_write_that_races_another_reads_again_and_writes_over_the_version_it_read():
    script = Scripted([configuration(2), STALE, configuration(3), configuration(4)])
    with Client("http://svc", transport=httpx.MockTransport(script)) as client:
        written = client.put("payments", "production", {"v": 9})
    assert written.version == 4
    methods = [(r.method, r.headers.get("If-Match")) for r in script.requests]
    assert methods == [("GET", None), ("PUT", '"2"'), ("GET", None), ("PUT", '"3"')]
    assert json.loads(script.requests[-1].content) == {"name": "production", "comments": "kept", "config": {"v": 9}}


def test_a_write_that_keeps_racing_gives_up_with_a_conflict():
    script = Scripted([configuration(2), STALE] * 5)
    with (
        Client("http://svc", transport=httpx.MockTransport(script)) as client,
        pytest.raises(Conflict, match="kept changing"),
    ):
        client.put("payments", "production", {"v": 9})


def test_with_the_callers_if_match_a_race_is_reported_not_resolved():
    script = Scripted([configuration(2), STALE])
    with Client("http://svc", transport=httpx.MockTransport(script)) as client, pytest.raises(PreconditionFailed):
        client.put("payments", "production", {"v": 9}, if_match='"2"')
    assert len(script.requests) == 2


def test_a_create_that_races_another_create_replaces_what_it_finds():
    missing = (404, {"status": 404, "detail": "the application has no configuration with this name"}, {})
    application = (
        200,
        [
            {
                "id": "01J0000000000000000000000A",
                "name": "payments",
                "comments": None,
                "version": 1,
                "seq": 1,
                "created_at": "c",
                "updated_at": "u",
            }
        ],
        {},
    )
    taken = (409, {"status": 409, "detail": "the name is taken"}, {})
    script = Scripted([missing, application, taken, configuration(1), configuration(2)])
    with Client("http://svc", transport=httpx.MockTransport(script)) as client:
        assert client.put("payments", "production", {"v": 9}).version == 2
    assert [r.method for r in script.requests] == ["GET", "GET", "POST", "GET", "PUT"]
    assert script.requests[2].headers["Idempotency-Key"]


def test_create_makes_a_new_configuration_and_refuses_an_existing_one(service, app_name):
    with Client(service.url) as client:
        first = client.create(app_name, "a", {"v": 1}, comments="new")  # the application too
        assert (first.version, first.comments, client.get(app_name, "a").config) == (1, "new", {"v": 1})
        with pytest.raises(Conflict):
            client.create(app_name, "a", {"v": 2})
        assert client.get(app_name, "a").version == 1
        owner = client.application(app_name)
        assert client.create(owner, "b", {}).application_id == owner.id


def test_create_in_a_known_application_is_one_request():
    sent = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201, json=configuration(1)[1], headers={"ETag": '"1"'})

    owner = Application("01J0000000000000000000000A", "payments", None, 1, "c", "u")
    with Client("http://svc", transport=httpx.MockTransport(answer)) as client:
        client.create(owner, "production", {"v": 1})
    assert [(r.method, r.url.path) for r in sent] == [("POST", "/api/v1/configurations")]
    assert json.loads(sent[0].content)["application_id"] == owner.id
