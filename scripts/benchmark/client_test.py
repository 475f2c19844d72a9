import logging

from scripts.benchmark.client import Quantiles, lines, run
from scripts.benchmark.service import BenchSettings


def test_the_client_bench_measures_watching_the_cache_and_the_round_trip(server_url, tmp_path):
    logger = logging.getLogger("configsvc_client")
    handlers, propagating = list(logger.handlers), logger.propagate
    settings = BenchSettings(applications=12, configurations=40, workers=1, pool_size=2)
    report = run(server_url, settings, changes=8, work=tmp_path)
    for kind in ("raw", "sync", "async", "sync_minus_raw", "async_minus_raw"):
        assert report["watch"][kind]["count"] == 8  # every change reached every watcher
    assert report["watch"]["sync"]["p50_ms"] < 1000
    assert report["cached_get"]["count"] == 1000
    trip = report["round_trip"]
    assert trip["identical_apart_from_ids_and_timestamps"] is True
    assert trip["export"]["peak_rss_mb"] > 0
    assert trip["import"]["seconds"] > 0
    printed = "\n".join(lines(report, settings, 8))
    assert "Client.watch" in printed
    assert "same document apart from ids and timestamps: True" in printed
    assert (logger.handlers, logger.propagate) == (handlers, propagating)  # left as it found it


def test_quantiles():
    q = Quantiles.of([float(n) for n in range(1, 101)])
    assert (q.count, q.p50_ms, q.max_ms) == (100, 50.5, 100.0)
    assert 99 <= q.p99_ms <= 100
    assert Quantiles.of([3.0]) == Quantiles(1, 3.0, 3.0, 3.0)
