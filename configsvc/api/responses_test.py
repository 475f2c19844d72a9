from configsvc.api.responses import Versioned, documented_headers, resource_response


class Thing(Versioned):
    name: str


def test_resource_response_carries_the_etag_and_the_json_body():
    response = resource_response(Thing(version=4, name="x"), status_code=201, location="/things/1")

    assert response.status_code == 201
    assert response.headers["etag"] == '"4"'
    assert response.headers["location"] == "/things/1"
    assert response.headers["content-type"] == "application/json"
    assert response.body == b'{"version":4,"name":"x"}'


def test_documented_headers():
    assert set(documented_headers()) == {"ETag"}
    assert set(documented_headers(location=True, replay=True)) == {"ETag", "Location", "Idempotent-Replayed"}
