from configsvc.api.routes.writes import writes_of
from configsvc.main import create_app
from test.client import settings_for


def test_every_write_route_says_what_it_is_counted_as_and_no_read_does():
    app = create_app(settings_for("postgresql://x@127.0.0.1:1/x"))

    writes = {
        f"{method} {route.path}": writes_of(app).get(route.endpoint)
        for route in app.routes
        for method in getattr(route, "methods", ()) or ()
    }

    assert writes["POST /api/v1/applications"] == ("application", "create")
    assert writes["PUT /api/v1/applications/{application_id}"] == ("application", "replace")
    assert writes["DELETE /api/v1/applications/{application_id}"] == ("application", "delete")
    assert writes["POST /api/v1/configurations"] == ("configuration", "create")
    assert writes["PUT /api/v1/configurations/{configuration_id}"] == ("configuration", "replace")
    assert writes["DELETE /api/v1/configurations/{configuration_id}"] == ("configuration", "delete")
    assert writes["POST /api/v1/configurations/{configuration_id}/revisions/{version}/restore"] == (
        "configuration",
        "restore",
    )
    assert writes["PUT /api/v1/configurations/{configuration_id}/schema"] == ("schema", "replace")
    assert writes["DELETE /api/v1/configurations/{configuration_id}/schema"] == ("schema", "delete")
    assert writes["GET /api/v1/configurations/{configuration_id}"] is None
    assert writes["POST /api/v1/configurations/{configuration_id}/validate"] is None  # nothing is stored
