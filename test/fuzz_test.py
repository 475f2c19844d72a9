"""Property-based fuzzing of the API against its own OpenAPI description (schemathesis, in-process),
twice: open (no token, as a fresh service is), and with access control enforced and an admin token
sent with every request.

`make test` runs a small, fixed-seed sample; `make fuzz` runs more examples (FUZZ_EXAMPLES).
"""

import argparse
import asyncio
import os
import re
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from psycopg2.extensions import make_dsn
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from configsvc.main import create_app
from conftest import create_database, drop_database
from scripts import tokens
from test.client import settings_for

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ_SEED = 20261126
# Valid input may still be refused for what no schema can say: a precondition that no longer holds
# (412), or a 422 naming an application that does not exist, a change of an immutable field, an
# Idempotency-Key reused with another body, a JSON Schema that draft 2020-12's meta-schema (or the
# service's rules for them) refuses, or a config that its configuration's stored schema refuses.
# Any other 4xx for schema-valid input is a finding.
SEMANTIC_REFUSALS = {
    "urn:configsvc:problem:unknown-reference",
    "urn:configsvc:problem:invalid-change",
    "urn:configsvc:problem:idempotency-key-reused",
    "urn:configsvc:problem:invalid-schema",
    "urn:configsvc:problem:schema-violation",
}


# What the Config schema leaves to its description, so that generators can read it (`additionalProperties:
# true`): NUL characters in its strings, nesting beyond 32 levels, numbers that are not finite. A 422
# for one of these alone is the documented server-side rule, not a finding.
UNSTATED_CONFIG_RULES = {"text_nul", "config_depth", "config_number"}
# The same for a JSON Schema (the JsonSchema component): the whole body of PUT .../schema, or `schema`
# beside `config` in a create.
UNSTATED_SCHEMA_RULES = {"text_nul", "schema_depth", "schema_number"}


def refused_only_for_unstated_config_rules(response) -> bool:
    errors = response.json().get("errors") or []
    return bool(errors) and all(
        (error["loc"][:2] == ["body", "config"] and error["type"] in UNSTATED_CONFIG_RULES)
        or (error["loc"] in (["body"], ["body", "schema"]) and error["type"] in UNSTATED_SCHEMA_RULES)
        for error in errors
    )


def headers_match_their_schema(case) -> bool:
    """Whether every header the case sends matches its documented pattern. Schemathesis' coverage
    phase cannot write a header with a character outside [A-Za-z0-9] (an entity tag's quotes), puts
    a placeholder in its place, and still calls the case positive; such a case is not."""
    for parameter in case.operation.definition.raw.get("parameters", []):
        value = (case.headers or {}).get(parameter["name"])
        pattern = parameter.get("schema", {}).get("pattern")
        if parameter["in"] == "header" and value is not None and pattern and not re.search(pattern, value):
            return False
    return True


def positive_data_acceptance_but_semantic_refusals(ctx, response, case):
    if response.status_code == 412 or not headers_match_their_schema(case):
        return None
    if response.status_code == 422 and (
        response.json().get("type") in SEMANTIC_REFUSALS or refused_only_for_unstated_config_rules(response)
    ):
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    positive_data_acceptance_but_semantic_refusals,
    allow_header_conformance,
    unsupported_method,
]


@pytest.fixture(scope="module")
def fuzz_database_url(server_url: str, template_database: str) -> Iterator[str]:
    name = create_database(server_url, template=template_database)
    yield make_dsn(server_url, dbname=name)
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def enforced_database_url(server_url: str, template_database: str) -> Iterator[str]:
    name = create_database(server_url, template=template_database)
    yield make_dsn(server_url, dbname=name)
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def admin_token(enforced_database_url: str) -> str:
    """An admin token, made as the operator makes the first one (which turns enforcement on)."""
    args = argparse.Namespace(command="create", name="fuzz", scope=["admin"], expires_in=None)
    secret = asyncio.run(tokens.run(enforced_database_url, args))
    assert secret is not None
    return secret


def fuzzed(database_url: str):
    app = create_app(settings_for(database_url, max_body_bytes=64 * 1024))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=FUZZ_EXAMPLES, deterministic=True
    )
    return schema


@pytest.fixture(scope="module")
def api_schema(fuzz_database_url: str):
    return fuzzed(fuzz_database_url)


@pytest.fixture(scope="module")
def enforced_api_schema(enforced_database_url: str, admin_token: str):
    return fuzzed(enforced_database_url)


schema = schemathesis.pytest.from_fixture("api_schema")
enforced_schema = schemathesis.pytest.from_fixture("enforced_api_schema")


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


@enforced_schema.parametrize()
@hypothesis.seed(FUZZ_SEED)
@hypothesis.settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_openapi_description_with_a_token(case, admin_token):
    response = case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code not in (401, 403), response.text  # the token opens every operation
