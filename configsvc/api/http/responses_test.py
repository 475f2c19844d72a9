from configsvc.api.http.responses import page_response, representation_response
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
