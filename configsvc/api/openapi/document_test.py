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
