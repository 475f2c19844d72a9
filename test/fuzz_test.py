"""Property-based fuzzing of the API against its own OpenAPI description (schemathesis, in-process).

`make test` runs a small, fixed-seed sample; `make fuzz` runs more examples (FUZZ_EXAMPLES).
"""

import os
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from psycopg2.extensions import make_dsn
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from configsvc.main import create_app
from conftest import create_database, drop_database
from test.client import settings_for

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ_SEED = 20261126
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzz_database_url(server_url: str, template_database: str) -> Iterator[str]:
    name = create_database(server_url, template=template_database)
    yield make_dsn(server_url, dbname=name)
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def api_schema(fuzz_database_url: str):
    app = create_app(settings_for(fuzz_database_url, max_body_bytes=64 * 1024))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=FUZZ_EXAMPLES, deterministic=True
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.seed(FUZZ_SEED)
@hypothesis.settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_openapi_description(case):
    case.call_and_validate(checks=CHECKS)
