import json

import jsonschema_rs
import psycopg2

from scripts.benchmark.schema_cost import (
    LOAD_SCHEMAS,
    REALISTIC_SCHEMA,
    WITH_SCHEMA,
    WITHOUT,
    WITHOUT_TOO,
    load_parameters,
    schema_cost,
    schema_lines,
    schema_scenarios,
    schema_section,
)
from scripts.benchmark.tools import Measurement
from scripts.benchmark.workloads import CONFIG_BODY, LOAD_DATA


def test_every_tenth_configuration_is_guarded_and_the_data_set_and_the_put_body_satisfy_the_schema(database_url):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cursor:
        cursor.execute(LOAD_DATA, {"applications": 20, "configurations": 200})
        cursor.execute(LOAD_SCHEMAS, load_parameters(200))
        cursor.execute(
            "SELECT c.config FROM configuration_schemas s JOIN configurations c ON c.id = s.configuration_id"
        )
        guarded = [config for (config,) in cursor.fetchall()]
    conn.close()
    validator = jsonschema_rs.Draft202012Validator(REALISTIC_SCHEMA)

    assert len(guarded) == 20
    assert all(validator.is_valid(config) for config in guarded)
    assert validator.is_valid(json.loads(CONFIG_BODY))
    assert not validator.is_valid(json.loads(CONFIG_BODY) | {"port": "8080"})


def test_the_guarded_and_the_two_unguarded_sets_do_not_overlap():
    scripts = {name: scenario.lua for name, scenario in schema_scenarios(10_000).items()}

    assert "10 * math.random(1, 1000) - 0" in scripts[WITH_SCHEMA]
    assert "10 * math.random(1, 1000) - 1" in scripts[WITHOUT]
    assert "10 * math.random(1, 1000) - 2" in scripts[WITHOUT_TOO]


def test_the_section_rotates_the_order_and_the_cost_is_the_median_of_per_round_changes():
    order = []
    speeds = {WITH_SCHEMA: [96, 100, 90], WITHOUT: [100, 100, 100], WITHOUT_TOO: [102, 99, 100]}

    def measure(scenario, token, seconds):
        order.append(scenario.name)
        if token == "schema-warm-up":
            return Measurement(1, 1, 1, 0)
        return Measurement(speeds[scenario.name][int(token[-1])], 5.0, 9.0, 0, worker_cpu_us=1000.0)

    results = schema_section(measure, 10_000, rounds=3, seconds=0.1)
    cost = schema_cost(results)

    assert order[3:6] == [WITH_SCHEMA, WITHOUT, WITHOUT_TOO]
    assert order[6:9] == [WITHOUT, WITHOUT_TOO, WITH_SCHEMA]
    throughput = cost.throughput
    assert (cost.rounds, round(throughput.median, 3), round(throughput.lowest, 3), throughput.highest) == (
        3,
        -0.04,
        -0.1,
        0.0,
    )
    assert round(throughput.noise, 3) == 0.01
    assert cost.cpu_per_request is not None
    assert cost.cpu_per_request.median == 0.0
    assert "throughput -4.0%" in "\n".join(schema_lines(results))
