from prometheus_client.parser import text_string_to_metric_families

from configsvc.metrics import Metrics, forget_dead_processes, outcome, prepare_multiprocess_directory


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


def test_writes_are_counted_by_resource_operation_and_outcome():
    metrics = Metrics(version="0.1.0", schema_version="3")

    metrics.observe_request("PUT", "/api/v1/configurations/{configuration_id}", 200, 0.01)
    metrics.observe_request("PUT", "/api/v1/configurations/{configuration_id}", 412, 0.01)
    metrics.observe_request("DELETE", "/api/v1/applications/{application_id}", 409, 0.01)
    metrics.observe_request("POST", "/api/v1/applications", 422, 0.01)
    metrics.observe_request("POST", "/api/v1/configurations/{configuration_id}/revisions/{version}/restore", 503, 0.01)
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
