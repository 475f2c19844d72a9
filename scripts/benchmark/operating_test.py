from scripts.benchmark.operating import VARIANTS, operating_lines
from scripts.benchmark.tools import Measurement


def test_the_cost_of_each_operating_feature_is_against_metrics_off():
    results = {
        "metrics on (as measured above)": [Measurement(970, 1, 4, 0)],
        "metrics off": [Measurement(1000, 1, 4, 0)],
        "JSON access log on": [Measurement(900, 1, 5, 0)],
    }

    lines = operating_lines(results)

    assert "metrics on (as measured above): 970 req/s (-3.0% vs metrics off)" in lines[0]
    assert "JSON access log on: 900 req/s (-10.0% vs metrics off), p99 5.0 ms" in lines[2]
    assert VARIANTS["metrics off"] == {"METRICS_ENABLED": "false"}
