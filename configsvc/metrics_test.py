import asyncio

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from configsvc.metrics import BUCKETS, Metrics, forget_dead_processes, outcome, prepare_multiprocess_directory


def samples(metrics: Metrics) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_requests_are_counted_by_method_route_and_exact_status():
    metrics = Metrics(version="0.1.0", schema_version="3")

    for _ in range(3):
        metrics.observe_request("GET", "/api/v1/configurations/{configuration_id}", 200, 0.0007)
    metrics.observe_request("GET", "unmatched", 404, 0.002)

    found = samples(metrics)
    labels = {"method": "GET", "route": "/api/v1/configurations/{configuration_id}", "status": "200"}

    def key(name, **more):
        return (name, tuple(sorted((labels | more).items())))

    assert found[key("http_server_request_duration_seconds_count")] == 3
    assert found[key("http_server_request_duration_seconds_bucket", le="0.0005")] == 0  # sub-millisecond resolved
    assert found[key("http_server_request_duration_seconds_bucket", le="0.001")] == 3
    assert (
        found[
            (
                "http_server_request_duration_seconds_count",
                (("method", "GET"), ("route", "unmatched"), ("status", "404")),
            )
        ]
        == 1
    )


def test_observations_written_together_read_exactly_as_the_library_observing_each_would():
    durations = [0.0001, 0.0005, 0.00050001, 0.0007, 0.001, 0.003, 0.5, 9.99, 10.0, 12.5] * 3
    metrics = Metrics(version="0.1.0", schema_version="3")
    reference = CollectorRegistry()
    histogram = Histogram("http_server_request_duration_seconds", "h", ["method", "route", "status"],
                          buckets=BUCKETS, registry=reference)  # fmt: skip
    for seconds in durations:
        metrics.observe_request("GET", "/r", 200, seconds)
        histogram.labels("GET", "/r", "200").observe(seconds)

    def requests(text: bytes) -> list[str]:
        lines = text.decode().splitlines()
        return [
            line for line in lines if line.startswith("http_server_request_duration_seconds") and "_created" not in line
        ]

    assert requests(metrics.render()) == requests(generate_latest(reference))


@pytest.mark.anyio
async def test_in_an_event_loop_requests_are_written_at_the_end_of_the_turn_and_before_a_scrape():
    metrics = Metrics(version="0.1.0", schema_version="3")
    child = metrics.requests.labels("GET", "/r", "200")

    for _ in range(5):
        metrics.observe_request("GET", "/r", 200, 0.002)
    assert child._sum.get() == 0  # not yet: the turn has not ended
    await asyncio.sleep(0)
    assert round(child._sum.get(), 6) == 0.01

    metrics.observe_request("GET", "/r", 200, 0.002)
    count = ("http_server_request_duration_seconds_count", (("method", "GET"), ("route", "/r"), ("status", "200")))
    assert samples(metrics)[count] == 6  # a scrape writes out what is pending first


def test_writes_are_counted_by_resource_operation_and_outcome():
    metrics = Metrics(version="0.1.0", schema_version="3")

    replace = ("configuration", "replace")
    metrics.observe_request("PUT", "/api/v1/configurations/{configuration_id}", 200, 0.01, write=replace)
    metrics.observe_request("PUT", "/api/v1/configurations/{configuration_id}", 412, 0.01, write=replace)
    metrics.observe_request(
        "DELETE", "/api/v1/applications/{application_id}", 409, 0.01, write=("application", "delete")
    )
    metrics.observe_request("POST", "/api/v1/applications", 422, 0.01, write=("application", "create"))
    restore = ("configuration", "restore")
    metrics.observe_request("POST", "/api/v1/configurations/{id}/revisions/{version}/restore", 503, 0.01, write=restore)
    metrics.observe_request("GET", "/api/v1/applications", 200, 0.01)  # not a write

    writes = {labels: value for (name, labels), value in samples(metrics).items() if name == "configsvc_writes_total"}
    assert writes == {
        (("operation", "replace"), ("outcome", "committed"), ("resource", "configuration")): 1,
        (("operation", "replace"), ("outcome", "conflict"), ("resource", "configuration")): 1,
        (("operation", "delete"), ("outcome", "conflict"), ("resource", "application")): 1,
        (("operation", "create"), ("outcome", "rejected"), ("resource", "application")): 1,
    }
    assert [outcome(s) for s in (201, 204, 409, 412, 404, 422, 500)] == [
        "committed", "committed", "conflict", "conflict", "rejected", "rejected", None,
    ]  # fmt: skip


def test_the_sampled_state_the_build_and_wakeups_as_a_counter():
    metrics = Metrics(version="0.1.0", schema_version="3")

    metrics.sample(in_use=2, idle=1, held=5, wakeups=4)
    metrics.sample(in_use=1, idle=2, held=3, wakeups=6)

    found = samples(metrics)
    assert found[("configsvc_db_pool_connections", (("state", "in_use"),))] == 1
    assert found[("configsvc_db_pool_connections", (("state", "idle"),))] == 2
    assert found[("configsvc_watch_held", ())] == 3
    assert found[("configsvc_watch_wakeups_total", ())] == 6
    assert found[("configsvc_build_info", (("schema_version", "3"), ("version", "0.1.0")))] == 1


def test_a_run_directory_starts_empty_and_dead_processes_live_gauges_are_dropped(tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"")
    prepare_multiprocess_directory(str(tmp_path))
    assert list(tmp_path.iterdir()) == []

    gone = 2**22 + 12345  # above pid_max's default: no such process
    (tmp_path / f"gauge_livesum_{gone}.db").write_bytes(b"")
    (tmp_path / f"counter_{gone}.db").write_bytes(b"")
    forget_dead_processes(str(tmp_path))

    assert [p.name for p in tmp_path.iterdir()] == [f"counter_{gone}.db"]  # counts stay
