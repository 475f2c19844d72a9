import pytest
from ulid import ULID

from configsvc.api.http import query
from configsvc.api.middleware.fast_reads import FastReadsMiddleware
from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio

IGNORED = {"x-request-id", "date"}


async def answers(client, requests):
    out = []
    for path, headers in requests:
        for method in ("GET", "HEAD"):
            response = await client.request(method, path, headers=headers)
            # A problem's instance is the request's own id: the one thing that differs by design.
            body = response.content.replace(response.headers["x-request-id"].encode(), b"<request id>")
            kept = {name: value for name, value in response.headers.items() if name not in IGNORED}
            out.append((method, path, response.status_code, kept, body))
    return out


async def test_the_fast_path_answers_exactly_as_the_declared_routes(database_url, monkeypatch):
    """Everything the hot reads can answer: found, 304, 404, malformed id or names, malformed
    If-None-Match, either case; once through the fast path, once with it switched off (so through FastAPI's routes)."""
    async with app_client(create_app(settings_for(database_url))) as client:
        app = (await client.post("/api/v1/applications", json={"name": "fast"})).json()
        config = (
            await client.post(
                "/api/v1/configurations", json={"application_id": app["id"], "name": "c", "config": {"k": [1, "ü"]}}
            )
        ).json()
    requests = []
    for kind, id, etag in (("configurations", config["id"], '"1"'), ("applications", app["id"], '"1.1"')):
        requests += [
            (f"/api/v1/{kind}/{id}", {}),
            (f"/api/v1/{kind}/{id.lower()}", {}),
            (f"/api/v1/{kind}/{id}", {"If-None-Match": etag}),
            (f"/api/v1/{kind}/{id}", {"If-None-Match": '"0", W/' + etag}),
            (f"/api/v1/{kind}/{id}", {"If-None-Match": "not a tag"}),
            (f"/api/v1/{kind}/{ULID()}", {}),
            (f"/api/v1/{kind}/8ZZZZZZZZZZZZZZZZZZZZZZZZZ", {}),
            (f"/api/v1/{kind}/{id}?unused=1", {}),
        ]

    by_name = "/api/v1/configurations/by-name"
    requests += [
        (f"{by_name}?application=fast&name=c", {}),
        (f"{by_name}?name=c&application=fast&unused=1", {}),
        (f"{by_name}?application=fast&name=c", {"If-None-Match": '"1"'}),
        (f"{by_name}?application=fast&name=c", {"If-None-Match": "not a tag"}),
        (f"{by_name}?application=fast&name=nope", {}),
        (f"{by_name}?application=n%C3%BCll%2F&name=c", {}),
        (f"{by_name}?application=fast", {}),
        (f"{by_name}?application=fast&name=", {}),
        (f"{by_name}?application=fast&name=c&name=c", {}),
        (f"{by_name}?application=fast&name=%00", {}),
        ("/api/v1/applications/by-name?application=fast&name=c", {}),
    ]

    async with app_client(create_app(settings_for(database_url))) as client:
        fast = await answers(client, requests)
    monkeypatch.setattr(
        FastReadsMiddleware, "__call__", lambda self, scope, receive, send: self.app(scope, receive, send)
    )
    async with app_client(create_app(settings_for(database_url))) as client:
        declared = await answers(client, requests)

    assert fast == declared
    assert {status for _, _, status, _, _ in fast} == {200, 304, 404, 422}


async def test_a_read_by_name_is_answered_before_fastapi(database_url, monkeypatch):
    """The declared route parses its query with `query.parse`; the fast path must never need it."""
    async with app_client(create_app(settings_for(database_url))) as client:
        app = (await client.post("/api/v1/applications", json={"name": "direct"})).json()
        await client.post("/api/v1/configurations", json={"application_id": app["id"], "name": "c"})

        def through_fastapi(*args):
            raise AssertionError("the declared route answered")

        monkeypatch.setattr(query, "parse", through_fastapi)
        response = await client.get("/api/v1/configurations/by-name?application=direct&name=c")
        missing = await client.get("/api/v1/configurations/by-name?application=direct")

    assert response.status_code == 200
    assert missing.status_code == 422


async def test_the_fast_path_keeps_the_request_id_sent(database_url):
    sent = {"X-Request-ID": "lb-01:fast.read_7"}
    async with app_client(create_app(settings_for(database_url))) as client:
        app = (await client.post("/api/v1/applications", json={"name": "ids"})).json()
        found = await client.get(f"/api/v1/applications/{app['id']}", headers=sent)
        missing = await client.get(f"/api/v1/configurations/{ULID()}", headers=sent)
        invalid = await client.get("/api/v1/configurations/by-name?application=ids", headers=sent)

    assert [r.status_code for r in (found, missing, invalid)] == [200, 404, 422]
    assert {r.headers["x-request-id"] for r in (found, missing, invalid)} == {"lb-01:fast.read_7"}
    assert missing.json()["instance"] == invalid.json()["instance"] == "urn:configsvc:request:lb-01:fast.read_7"


def test_well_formed_names_are_read_without_a_model_and_anything_else_goes_to_it():
    from configsvc.api.middleware.fast_reads import well_formed_names
    from configsvc.views.keys import ByName

    assert well_formed_names(b"application=payments&name=production") == ByName("payments", "production")
    assert well_formed_names(b"name=a%2Fb%20c&application=%C3%BCber") == ByName("über", "a/b c")
    for other in (
        b"application=payments",
        b"application=&name=x",
        b"application=a&name=" + b"x" * 257,
        b"application=a&name=b&name=c",
        b"application=a&name=b%00",
        b"application=a&name=b&extra=1",
        b"app=a&name=b",
    ):
        assert well_formed_names(other) is None, other


def test_the_plain_names_shortcut_reads_every_query_as_parse_qsl_does():
    """Every query from a small alphabet of troublemakers (separators, escapes, `+`, non-ASCII,
    empty values): the shortcut and the parse_qsl reading agree on each."""
    import itertools
    from urllib.parse import parse_qsl

    from configsvc.api.middleware.fast_reads import well_formed_names
    from configsvc.fields import MAX_NAME
    from configsvc.views.keys import ByName

    def by_parse_qsl(query: bytes) -> ByName | None:
        items = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        if len(pairs) != 2 or set(items) != {"application", "name"}:
            return None
        names = ByName(items["application"], items["name"])
        return names if all(0 < len(value) <= MAX_NAME and "\x00" not in value for value in names) else None

    pieces = [b"", b"a", b"b-1", b"%41", b"+", b"%00", b"\x00", b"\xc3\xbc", b"&", b"=", b";", b"%zz"]
    pieces += [b"x" * MAX_NAME, b"x" * (MAX_NAME + 1), b"%41" * MAX_NAME, b"\xc3\xbc" * (MAX_NAME // 2 + 1)]
    for first_key, second_key in (("application", "name"), ("name", "application")):
        for first, second in itertools.product(pieces, repeat=2):
            query = first_key.encode() + b"=" + first + b"&" + second_key.encode() + b"=" + second
            assert well_formed_names(query) == by_parse_qsl(query), query
