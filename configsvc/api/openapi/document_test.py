from configsvc import request_ids
from configsvc.main import create_app
from test.client import settings_for


def test_every_response_of_every_operation_documents_the_request_id_and_configs_share_one_schema():
    document = create_app(settings_for("postgresql://x@127.0.0.1:1/x")).openapi()

    for path_item in document["paths"].values():
        for operation in path_item.values():
            for response in operation["responses"].values():
                assert request_ids.HEADER in response["headers"]
    assert {"Problem", "Config"} <= document["components"]["schemas"].keys()
    configuration = document["components"]["schemas"]["Configuration"]
    assert configuration["properties"]["config"] == {"$ref": "#/components/schemas/Config"}


def test_a_post_that_only_reads_declares_401_but_not_403_and_no_mark_of_it_is_left():
    document = create_app(settings_for("postgresql://x@127.0.0.1:1/x")).openapi()

    validate = document["paths"]["/api/v1/configurations/{configuration_id}/validate"]["post"]
    assert "401" in validate["responses"]
    assert "403" not in validate["responses"]
    put = document["paths"]["/api/v1/configurations/{configuration_id}"]["put"]
    assert {"401", "403"} <= put["responses"].keys()
    assert not any(
        key.startswith("x-configsvc") for item in document["paths"].values() for op in item.values() for key in op
    )
