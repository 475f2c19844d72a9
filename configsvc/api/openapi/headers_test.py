from configsvc.api.openapi.headers import documented_headers


def test_documented_headers():
    assert set(documented_headers()) == {"ETag"}
    assert set(documented_headers(location=True, replay=True)) == {"ETag", "Location", "Idempotent-Replayed"}
