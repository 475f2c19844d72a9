import httpx
import pytest

from configsvc_client.request_builder import USER_AGENT, VERSION, RequestBuilder


def test_every_request_carries_the_token_a_fresh_request_id_and_a_user_agent():
    builder = RequestBuilder("http://svc:8000", token="cfgsvc_secret")
    first, second = builder.by_name("a", "b"), builder.applications()
    for request in (first, second):
        assert request.headers["Authorization"] == "Bearer cfgsvc_secret"
        assert request.headers["User-Agent"] == USER_AGENT
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert USER_AGENT.startswith(f"configsvc-client/{VERSION} ")
    assert VERSION == "0.1.0"


def test_without_a_token_no_authorization_header_is_sent():
    assert "Authorization" not in RequestBuilder("http://svc").by_name("a", "b").headers


@pytest.mark.parametrize(
    "url", ["http://svc:8000", "http://svc:8000/", "http://svc:8000/api/v1", "http://svc:8000/api/v1/"]
)
def test_the_base_url_may_name_the_api_prefix_or_not(url):
    assert str(RequestBuilder(url).applications(limit=5).url) == "http://svc:8000/api/v1/applications?limit=5"


def test_names_travel_as_query_parameters_so_any_name_works():
    request = RequestBuilder("http://svc").by_name("pay ments/eu?", "prod&1 ü")
    assert request.url.path == "/api/v1/configurations/by-name"
    assert dict(request.url.params) == {"application": "pay ments/eu?", "name": "prod&1 ü"}


def test_a_held_request_says_its_etag_and_wait_and_may_take_that_long_to_answer():
    builder = RequestBuilder("http://svc", timeout=10.0)
    held = builder.by_name("a", "b", etag='"3"', wait=30)
    assert (held.headers["If-None-Match"], held.headers["Prefer"]) == ('"3"', "wait=30")
    assert held.extensions["timeout"] == {"connect": 10.0, "read": 40.0, "write": 10.0, "pool": 10.0}
    plain = builder.by_name("a", "b", wait=30)  # nothing to hold on without an ETag
    assert "Prefer" not in plain.headers
    assert "If-None-Match" not in plain.headers
    assert plain.extensions["timeout"]["read"] == 10.0


def test_writes_carry_if_match_when_given_and_creates_an_idempotency_key():
    builder = RequestBuilder("http://svc")
    assert builder.replace("C", {"name": "b", "config": {}}, if_match='"2"').headers["If-Match"] == '"2"'
    assert "If-Match" not in builder.delete("C", if_match=None).headers
    first, second = (
        builder.create({"application_id": "A", "name": "b"}),
        builder.create({"application_id": "A", "name": "b"}),
    )
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    assert (first.method, first.url.path) == ("POST", "/api/v1/configurations")


def test_the_next_page_follows_the_link_header_and_the_last_page_has_none():
    builder = RequestBuilder("http://svc:8000/api/v1", token="t")
    link = '</api/v1/applications?limit=2&after=01J00000000000000000000001>; rel="next"'
    following = builder.next_page(httpx.Response(200, headers={"Link": link}))
    assert str(following.url) == "http://svc:8000/api/v1/applications?limit=2&after=01J00000000000000000000001"
    assert following.headers["Authorization"] == "Bearer t"
    assert builder.next_page(httpx.Response(200)) is None
