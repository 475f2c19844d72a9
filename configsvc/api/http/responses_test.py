from fastapi import Response

from configsvc.api.http.responses import conditional_response, page_response, representation_response
from configsvc.representations import Page, Representation


def test_a_representation_goes_out_as_its_bytes_with_its_etag():
    response = representation_response(Representation(b'{"version":4}', '"4"'), status_code=201, location="/things/1")

    assert response.status_code == 201
    assert response.headers["etag"] == '"4"'
    assert response.headers["location"] == "/things/1"
    assert response.headers["content-type"] == "application/json"
    assert response.body == b'{"version":4}'


def test_a_revision_goes_out_without_an_etag():
    assert "etag" not in representation_response(Representation(b"{}", None)).headers


def test_a_page_links_to_the_next_one_while_more_remain():
    more = page_response(Page(b"[1]", "01J"), path="/things", limit=1, cursor_param="after")
    last = page_response(Page(b"[1]", None), path="/things", limit=1, cursor_param="after")

    assert more.headers["link"] == '</things?limit=1&after=01J>; rel="next"'
    assert more.body == b"[1]"
    assert "link" not in last.headers


def test_representations_go_out_with_exactly_the_headers_starlette_would_encode():
    cases = [
        (
            representation_response(Representation(b'{"a":1}', '"3"')),
            Response(b'{"a":1}', 200, {"ETag": '"3"'}, "application/json"),
        ),
        (
            representation_response(Representation(b"{}", '"1"'), status_code=201, location="/x/1"),
            Response(b"{}", 201, {"ETag": '"1"', "Location": "/x/1"}, "application/json"),
        ),
        (representation_response(Representation(b"{}", None)), Response(b"{}", 200, {}, "application/json")),
        (conditional_response(Representation(b"{}", '"2"'), '"2"'), Response(status_code=304, headers={"ETag": '"2"'})),
    ]
    for ours, starlettes in cases:
        assert (ours.status_code, ours.raw_headers, ours.body) == (
            starlettes.status_code,
            starlettes.raw_headers,
            starlettes.body,
        )
