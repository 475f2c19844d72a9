from scripts.benchmark.tools import Measurement
from scripts.benchmark.watch_scenario import paths, put_body, put_watched, summary
from scripts.benchmark.watching import Delays, WatchReport


def test_the_watched_paths_and_bodies_are_those_of_the_data_set():
    assert paths(2) == [
        "/api/v1/configurations/01BENCHCFG0000000000000001",
        "/api/v1/configurations/01BENCHCFG0000000000000002",
    ]
    assert put_body(paths(2)[1]).startswith(b'{"name":"config-2","config":{')
    assert "math.random(1, 1000)" in put_watched(1000).lua


def test_the_summary_says_delays_memory_and_the_cost_to_puts():
    report = WatchReport(
        1000, Delays(300, 300, 300, 0.7, 4.1, 0), Delays(20, 20, 20, 250, 480, 0), [57.0, 57.0], [66.0, 66.5]
    )
    puts = {
        "all off": [Measurement(600, 1, 2, 0, 1300.0)],
        "all on": [Measurement(570, 1, 2, 0, 1350.0)],
        "watched off": [Measurement(600, 1, 2, 0, 1300.0)],
        "watched on": [Measurement(450, 1, 2, 0, 1900.0)],
    }
    single = {
        "held": 10000,
        "rss_idle_mb": [57.0],
        "rss_held_mb": [230.0],
        "kb_per_held": 17.7,
        "get_idle": {"p99_ms": 20.0, "requests_per_second": 7000, "errors": 0},
        "get_held": {"p99_ms": 25.0, "requests_per_second": 6500, "errors": 0},
        "errors": 0,
    }

    lines = summary(report, puts, single, configurations=10000)

    assert "median 0.7 ms, p99 4.1 ms (300/300 answered, 0 errors)" in lines[0]
    assert "PUT over all configurations (10,000), 1,000 held vs none: 570 vs 600 req/s (-5.0%; target:" in lines[3]
    assert "workers' CPU 1350 vs 1300 us per PUT (+50 us; 1 rounds, medians)" in lines[3]
    assert "(every write wakes a held request) (1,000), 1,000 held vs none: 450 vs 600 req/s (-25.0%" in lines[4]
    assert "the worst case, not the target's workload" in lines[4]
    assert "target:" not in lines[4]
    assert "17.7 KB per held request" in lines[5]
    assert "1.25x" in lines[5]
