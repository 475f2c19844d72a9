"""What checking a config against its JSON Schema costs a PUT (issue 27: at most 5%): the bench's
ten-key PUT on configurations guarded by a realistic schema (types, ranges, required keys) against
the same PUT on unguarded ones, on the one running service, in the same rounds.

Every tenth configuration of the data set (n = 10, 20, ...) gets the schema; the comparison PUTs
those, and two unguarded sets of the same size and spread (n = 10k - 1 and n = 10k - 2), whose
difference is the A/A control: what two identical workloads differ by in the same round. The order
rotates from round to round; each change is taken per round, then its median over the rounds.
"""

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from scripts.benchmark.paired_rounds import median_spread, round_changes
from scripts.benchmark.tools import Measurement
from scripts.benchmark.workloads import CONFIG_BODY, CONFIG_PREFIX, Scenario

GUARDED_EVERY = 10
# What a team would write for the bench's configuration: every key typed, numbers in ranges,
# the ones a service cannot start without required, nothing unknown allowed.
REALISTIC_SCHEMA = {
    "type": "object",
    "required": ["service", "replicas", "port", "region", "timeout_ms", "database"],
    "additionalProperties": False,
    "properties": {
        "service": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-z][a-z0-9-]*$"},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 100},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "debug": {"type": "boolean"},
        "region": {"enum": ["eu-west-1", "eu-west-2", "eu-west-3", "us-east-1"]},
        "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 60000},
        "features": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "database": {
            "type": "object",
            "required": ["host", "port"],
            "additionalProperties": False,
            "properties": {
                "host": {"type": "string", "minLength": 1},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "pool": {"type": "integer", "minimum": 1, "maximum": 500},
            },
        },
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "ratio": {"type": "number", "minimum": 0, "maximum": 1},
    },
}
LOAD_SCHEMAS = """
INSERT INTO configuration_schemas (configuration_id, schema)
SELECT '01BENCHCFG' || lpad(n::text, 16, '0'), %(schema)s::jsonb
FROM generate_series(%(every)s, %(configurations)s, %(every)s) AS n
ON CONFLICT DO NOTHING
"""
WITH_SCHEMA, WITHOUT, WITHOUT_TOO = "put_with_schema", "put_without_schema", "put_without_schema_a_a"


def load_parameters(configurations: int) -> dict[str, object]:
    return {"schema": json.dumps(REALISTIC_SCHEMA), "configurations": configurations, "every": GUARDED_EVERY}


def schema_scenarios(configurations: int) -> dict[str, Scenario]:
    """PUT on n = 10k - offset: offset 0 is guarded, 1 and 2 are not."""
    sets = configurations // GUARDED_EVERY

    def put(name: str, title: str, offset: int) -> Scenario:
        lua = (
            "request = function()\n"
            f"  local n = {GUARDED_EVERY} * math.random(1, {sets}) - {offset}\n"
            f"  local path = string.format('/api/v1/configurations/{CONFIG_PREFIX}%016d', n)\n"
            f'  local body = string.format(\'{{"name":"config-%d","config":{CONFIG_BODY}}}\', n)\n'
            "  return wrk.format('PUT', path, {['Content-Type'] = 'application/json'}, body)\nend\n"
        )
        return Scenario(name, title, lua, None)

    return {
        WITH_SCHEMA: put(WITH_SCHEMA, "PUT, guarded by a schema", 0),
        WITHOUT: put(WITHOUT, "PUT, no schema", 1),
        WITHOUT_TOO: put(WITHOUT_TOO, "PUT, no schema (A/A)", 2),
    }


def schema_section(
    measure: Callable[[Scenario, str, float], Measurement], configurations: int, rounds: int, seconds: float
) -> dict[str, list[Measurement]]:
    """`rounds` rounds of the three PUTs, the order rotated each round."""
    plan = list(schema_scenarios(configurations).values())
    results: dict[str, list[Measurement]] = {scenario.name: [] for scenario in plan}
    for scenario in plan:
        measure(scenario, "schema-warm-up", seconds)
    for round_number in range(rounds):
        shift = round_number % len(plan)
        for scenario in plan[shift:] + plan[:shift]:
            results[scenario.name].append(measure(scenario, f"schema-r{round_number}", seconds))
    return results


@dataclass(frozen=True)
class Change:
    """Per round, with against without: the median over rounds, their range, and the A/A control
    (the median over rounds of |without too / without - 1|)."""

    median: float
    lowest: float
    highest: float
    noise: float


@dataclass(frozen=True)
class SchemaCost:
    rounds: int
    throughput: Change
    cpu_per_request: Change | None  # the workers' CPU time per request, where measured
    errors: int


def schema_cost(results: dict[str, list[Measurement]]) -> SchemaCost:
    def change(field: str) -> Change | None:
        series = {name: [getattr(m, field) for m in runs] for name, runs in results.items()}
        if any(value is None for values in series.values() for value in values):
            return None
        changes = round_changes(series[WITH_SCHEMA], series[WITHOUT])
        noise = median_spread(series[WITHOUT_TOO], series[WITHOUT])
        return Change(statistics.median(changes), min(changes), max(changes), noise)

    throughput = change("requests_per_second")
    assert throughput is not None
    return SchemaCost(
        rounds=len(results[WITH_SCHEMA]),
        throughput=throughput,
        cpu_per_request=change("worker_cpu_us"),
        errors=sum(m.errors for runs in results.values() for m in runs),
    )


def schema_lines(results: dict[str, list[Measurement]]) -> list[str]:
    lines = []
    for name, runs in results.items():
        rps = statistics.median(m.requests_per_second for m in runs)
        p99 = statistics.median(m.p99_ms for m in runs)
        cpu = [m.worker_cpu_us for m in runs if m.worker_cpu_us is not None]
        per_request = f", workers' CPU {statistics.median(cpu):,.0f} us per request" if cpu else ""
        lines.append(f"schema: {name}: {rps:,.0f} req/s, p99 {p99:.1f} ms{per_request} ({len(runs)} rounds, medians)")
    cost = schema_cost(results)

    def said(what: str, change: Change) -> str:
        return (
            f"{what} {change.median:+.1%} (per round {change.lowest:+.1%} to {change.highest:+.1%}; "
            f"A/A control: identical unguarded sets {change.noise:.1%} apart)"
        )

    lines.append(
        f"schema: PUT with a schema against without, in the same rounds, median of {cost.rounds}: "
        + said("throughput", cost.throughput)
        + f"; {cost.errors} errors; target: a cost of at most 5%"
    )
    if cost.cpu_per_request is not None:
        lines.append("schema: " + said("workers' CPU per request", cost.cpu_per_request))
    return lines
