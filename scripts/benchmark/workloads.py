"""What `make bench` measures: the data set, the wrk scenarios, and etcd's equivalents.

Bench ids are valid ULIDs computed from a number n: `01BENCHAPP` / `01BENCHCFG` followed by n in
16 digits, so wrk's Lua can address any row without a lookup. Configuration n belongs to
application 1 + (n - 1) mod applications.
"""

from dataclasses import dataclass

from scripts.benchmark.etcd import KEY_PREFIX, b64

APP_PREFIX = "01BENCHAPP"
CONFIG_PREFIX = "01BENCHCFG"

LOAD_DATA = """
INSERT INTO applications (id, name, comments)
SELECT '01BENCHAPP' || lpad(n::text, 16, '0'), 'bench-app-' || n, 'benchmark application ' || n
FROM generate_series(1, %(applications)s) AS n
ON CONFLICT DO NOTHING;
INSERT INTO configurations (id, application_id, name, comments, config)
SELECT '01BENCHCFG' || lpad(n::text, 16, '0'),
       '01BENCHAPP' || lpad((1 + (n - 1) %% %(applications)s)::text, 16, '0'),
       'config-' || n,
       'generated for the benchmark',
       jsonb_build_object(
           'service', 'svc-' || n, 'replicas', n %% 7 + 1, 'port', 8000 + n %% 1000, 'debug', n %% 2 = 0,
           'region', 'eu-west-' || (n %% 3 + 1), 'timeout_ms', 250 * (n %% 8 + 1),
           'features', jsonb_build_object('checkout_v2', n %% 5 = 0, 'dark_mode', true),
           'database', jsonb_build_object('host', 'db-' || n || '.internal', 'port', 5432, 'pool', 20),
           'tags', jsonb_build_array('bench', 'generated'), 'ratio', 0.25)
FROM generate_series(1, %(configurations)s) AS n
ON CONFLICT DO NOTHING;
INSERT INTO configuration_revisions (configuration_id, version, name, comments, config, created_at)
SELECT id, version, name, comments, config, updated_at FROM configurations
WHERE id LIKE '01BENCHCFG%%'
ON CONFLICT DO NOTHING;
ANALYZE;
"""

# Ten keys, like the data set: what a POST or PUT sends (and etcd's put stores).
CONFIG_BODY = (
    '{"service":"svc","replicas":3,"port":8080,"debug":false,"region":"eu-west-1","timeout_ms":500,'
    '"features":{"checkout_v2":true,"dark_mode":true},"database":{"host":"db.internal","port":5432,"pool":20},'
    '"tags":["bench","written"],"ratio":0.5}'
)

LUA_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests": %d, "duration_us": %d, "socket_errors": %d, "status_errors": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_script(scenario: "Scenario", run_token: str) -> str:
    """The wrk script of one run: `run_token` keeps names created by different runs apart."""
    return f"run_token = '{run_token}'\n" + scenario.lua + LUA_REPORT


@dataclass(frozen=True)
class Target:
    """At least `ratio` times the throughput of `baseline` ("etcd" or "ceiling"), p99 at most `p99_ms`."""

    baseline: str
    ratio: float
    p99_ms: float | None = None

    def describe(self) -> str:
        p99 = f", p99 ≤ {self.p99_ms:g} ms" if self.p99_ms is not None else ""
        return f"≥ {self.ratio:g}x {self.baseline}{p99}"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    lua: str  # wrk script body (without the report function)
    peer: str | None  # the etcd baseline it is compared with: "range", "put", or None
    target: Target | None = None


def _get(path_expression: str) -> str:
    return f"request = function()\n  return wrk.format('GET', {path_expression})\nend\n"


def _json(method: str, path_expression: str, body_expression: str) -> str:
    return (
        "request = function()\n"
        f"  return wrk.format('{method}', {path_expression}, {{['Content-Type'] = 'application/json'}}, {body_expression})\n"
        "end\n"
    )


def scenarios(applications: int, configurations: int) -> list[Scenario]:
    config_n = f"math.random(1, {configurations})"
    app_id = f"string.format('{APP_PREFIX}%016d', math.random(1, {applications}))"
    config_path = f"string.format('/api/v1/configurations/{CONFIG_PREFIX}%016d', n)"
    put_body = f'string.format(\'{{"name":"config-%d","config":{CONFIG_BODY}}}\', n)'
    # Application 1's configurations: 1, 1 + applications, 1 + 2 x applications, ...
    in_app_one = f"1 + {applications} * math.random(0, {max(0, (configurations - 1) // applications)})"
    return [
        Scenario(
            "get_configuration",
            "GET configuration",
            _get(f"string.format('/api/v1/configurations/{CONFIG_PREFIX}%016d', {config_n})"),
            "range",
            Target("etcd", 1.0, 20),
        ),
        Scenario(
            "get_configuration_by_name",
            "GET configuration by name",
            "request = function()\n"
            f"  local n = {config_n}\n"
            f"  local app = 1 + (n - 1) % {applications}\n"
            "  return wrk.format('GET', string.format("
            "'/api/v1/configurations/by-name?application=bench-app-%d&name=config-%d', app, n))\nend\n",
            "range",
        ),
        Scenario(
            "get_application",
            "GET application",
            _get(f"'/api/v1/applications/' .. {app_id}"),
            "range",
            Target("etcd", 0.8),
        ),
        Scenario(
            "list_applications",
            "GET list (limit 100)",
            "request = function()\n"
            f"  local after = string.format('{APP_PREFIX}%016d', math.random(1, {max(1, applications - 100)}))\n"
            "  return wrk.format('GET', '/api/v1/applications?limit=100&after=' .. after)\nend\n",
            None,
            # Twice the ratio to the ceiling measured before the read path's issue (0.09-0.11).
            Target("ceiling", 0.22),
        ),
        Scenario(
            "post_configuration",
            "POST configuration",
            "local counter = 0\n"
            + _json(
                "POST",
                "'/api/v1/configurations'",
                "(function() counter = counter + 1; return string.format("
                f'\'{{"application_id":"%s","name":"w-%s-%d","config":{CONFIG_BODY}}}\', {app_id}, run_token, counter) end)()',
            ),
            "put",
        ),
        Scenario(
            "put_configuration",
            "PUT configuration",
            "request = function()\n"
            f"  local n = {config_n}\n"
            # Every tenth configuration is guarded by a JSON Schema (schema_cost.py): not these PUTs'.
            "  if n % 10 == 0 then n = n - 1 end\n"
            f"  return wrk.format('PUT', {config_path}, {{['Content-Type'] = 'application/json'}}, {put_body})\nend\n",
            "put",
            Target("etcd", 0.25, 60),
        ),
        Scenario(
            "put_configuration_one_application",
            "PUT, all in one application",
            "request = function()\n"
            f"  local n = {in_app_one}\n"
            f"  return wrk.format('PUT', {config_path}, {{['Content-Type'] = 'application/json'}}, {put_body})\nend\n",
            "put",
        ),
    ]


CEILING = Scenario("healthz", "GET /healthz (no database)", "wrk.path = '/healthz'\n", None)


def etcd_range(configurations: int) -> Scenario:
    """etcd's linearizable read of one random key; the request bodies are built beforehand, so wrk
    spends no more per request on etcd than on the service."""
    bodies = ",\n".join(
        f'\'{{"key":"{b64(f"{KEY_PREFIX}{CONFIG_PREFIX}{n:016d}")}"}}\'' for n in range(1, configurations + 1)
    )
    return Scenario(
        "etcd_range",
        "  etcd range (one key)",
        f"local bodies = {{\n{bodies}\n}}\n"
        + _json("POST", "'/v3/kv/range'", f"bodies[math.random(1, {configurations})]"),
        None,
    )


def etcd_put(configurations: int) -> Scenario:
    """etcd's put of a ten-key JSON document (the service's PUT body) under a random key."""
    keys = ",\n".join(f"'{b64(f'{KEY_PREFIX}{CONFIG_PREFIX}{n:016d}')}'" for n in range(1, configurations + 1))
    value = b64(CONFIG_BODY)
    return Scenario(
        "etcd_put",
        "  etcd put (one key)",
        f"local keys = {{\n{keys}\n}}\n"
        + _json(
            "POST",
            "'/v3/kv/put'",
            f'string.format(\'{{"key":"%s","value":"{value}"}}\', keys[math.random(1, {configurations})])',
        ),
        None,
    )
