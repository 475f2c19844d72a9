"""What `make bench` measures: the data set, the wrk scenarios and their pgbench equivalents.

Bench ids are valid ULIDs that both wrk (Lua) and pgbench (SQL) can compute from a number n:
`01BENCHAPP` / `01BENCHCFG` followed by n in 16 digits. That keeps the pgbench baselines honest:
they look rows up by id exactly as the service does, with no extra join to find an id.
"""

from dataclasses import dataclass

APP_PREFIX = "01BENCHAPP"
CONFIG_PREFIX = "01BENCHCFG"

LOAD_DATA = """
CREATE SEQUENCE IF NOT EXISTS bench_inserts;
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

# Ten keys, like the data set: what a POST or PUT sends.
_CONFIG_BODY = (
    '{"service":"svc","replicas":3,"port":8080,"debug":false,"region":"eu-west-1","timeout_ms":500,'
    '"features":{"checkout_v2":true,"dark_mode":true},"database":{"host":"db.internal","port":5432,"pool":20},'
    '"tags":["bench","written"],"ratio":0.5}'
)
# pgbench reads `:name` as a variable: inside SQL the JSON gets a space after each colon.
_CONFIG_SQL = _CONFIG_BODY.replace('":', '": ')

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
class Scenario:
    name: str
    title: str
    lua: str  # wrk script body (without the report function)
    pgbench: str | None  # the equivalent SQL for pgbench, or None for the no-database ceiling
    baseline: str  # which baseline the target ratio is taken against: "ceiling" or "pgbench"
    target: float | None  # minimum ratio to that baseline


def scenarios(applications: int, configurations: int) -> list[Scenario]:
    app_id = f"string.format('{APP_PREFIX}%016d', math.random(1, {applications}))"
    config_n = f"math.random(1, {configurations})"
    return [
        Scenario(
            "get_configuration",
            "GET configuration",
            f"request = function()\n  return wrk.format('GET', string.format('/api/v1/configurations/{CONFIG_PREFIX}%016d', "
            f"{config_n}))\nend\n",
            f"\\set n random(1, {configurations})\n"
            "SELECT id, application_id, name, comments, config, version, created_at, updated_at\n"
            "FROM configurations WHERE id = '01BENCHCFG' || lpad(:n::text, 16, '0');\n",
            "ceiling",
            0.35,
        ),
        Scenario(
            "get_application",
            "GET application",
            f"request = function()\n  return wrk.format('GET', '/api/v1/applications/' .. {app_id})\nend\n",
            f"\\set n random(1, {applications})\n"
            "SELECT id, name, comments, version, created_at, updated_at,\n"
            "  ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = a.id ORDER BY c.id) AS configuration_ids\n"
            "FROM applications a WHERE id = '01BENCHAPP' || lpad(:n::text, 16, '0');\n",
            "ceiling",
            0.30,
        ),
        Scenario(
            "list_applications",
            "GET list (limit 100)",
            f"request = function()\n  local after = string.format('{APP_PREFIX}%016d', math.random(1, {max(1, applications - 100)}))\n"
            "  return wrk.format('GET', '/api/v1/applications?limit=100&after=' .. after)\nend\n",
            f"\\set n random(1, {max(1, applications - 100)})\n"
            "SELECT id, name, comments, version, created_at, updated_at FROM applications\n"
            "WHERE id > '01BENCHAPP' || lpad(:n::text, 16, '0') ORDER BY id LIMIT 101;\n",
            "ceiling",
            0.15,
        ),
        Scenario(
            "post_configuration",
            "POST configuration",
            "local counter = 0\n"
            "request = function()\n  counter = counter + 1\n"
            f'  local body = string.format(\'{{"application_id":"%s","name":"w-%s-%d","config":{_CONFIG_BODY}}}\', '
            f"{app_id}, run_token, counter)\n"
            "  return wrk.format('POST', '/api/v1/configurations', {['Content-Type'] = 'application/json'}, body)\nend\n",
            f"\\set n random(1, {applications})\n"
            "WITH created AS (\n"
            "  INSERT INTO configurations (id, application_id, name, config)\n"
            "  VALUES ('01BENCHPGB' || lpad(nextval('bench_inserts')::text, 16, '0'),\n"
            "          '01BENCHAPP' || lpad(:n::text, 16, '0'), 'p-' || currval('bench_inserts'),\n"
            f"          '{_CONFIG_SQL}')\n"
            "  RETURNING id, version, name, comments, config, updated_at\n"
            "), revision AS (\n"
            "  INSERT INTO configuration_revisions (configuration_id, version, name, comments, config, created_at)\n"
            "  SELECT id, version, name, comments, config, updated_at FROM created\n"
            ") SELECT id FROM created;\n",
            "pgbench",
            None,
        ),
        Scenario(
            "put_configuration",
            "PUT configuration",
            "request = function()\n"
            f"  local n = {config_n}\n"
            f'  local body = string.format(\'{{"name":"config-%d","config":{_CONFIG_BODY}}}\', n)\n'
            f"  return wrk.format('PUT', string.format('/api/v1/configurations/{CONFIG_PREFIX}%016d', n), "
            "{['Content-Type'] = 'application/json'}, body)\nend\n",
            f"\\set n random(1, {configurations})\n"
            "BEGIN;\n"
            f"UPDATE configurations SET config = '{_CONFIG_SQL}', version = version + 1, updated_at = now()\n"
            "WHERE id = '01BENCHCFG' || lpad(:n::text, 16, '0');\n"
            "COMMIT;\n",
            "pgbench",
            0.40,
        ),
    ]


CEILING = Scenario(
    "healthz",
    "GET /healthz (no database)",
    "wrk.path = '/healthz'\n",
    None,
    "ceiling",
    None,
)
