from scripts.benchmark.operating import REFERENCE, VARIANTS, operating_lines
from scripts.benchmark.tools import Measurement


def test_the_cost_of_each_operating_feature_is_against_metrics_off_in_throughput_and_cpu():
    results = {
        "metrics on (as served)": [Measurement(970, 1, 4, 0, 103.0), Measurement(990, 1, 4, 0, 101.0)],
        "metrics off": [Measurement(1000, 1, 4, 0, 100.0)],
        "JSON access log on": [Measurement(900, 1, 5, 0, 120.0)],
    }

    lines = operating_lines(results)

    assert (
        "metrics on (as served): 980 req/s (-2.0% vs metrics off), workers' CPU 102 us per request (+2.0%)" in lines[0]
    )
    assert "(2 rounds, medians)" in lines[0]
    assert "JSON access log on: 900 req/s (-10.0% vs metrics off), workers' CPU 120 us per request (+20.0%)" in lines[2]
    assert VARIANTS[REFERENCE] == {"METRICS_ENABLED": "false"}
    assert VARIANTS["metrics on (as served)"] == {}
