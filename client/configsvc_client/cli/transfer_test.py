"""Export and import: the document's layout and checks, bounded memory, and the round trip through
an empty service (a second real serve)."""

import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import create_database, drop_database
from psycopg2.extensions import make_dsn
from test.serving import ServeInstance

from configsvc_client import Client
from configsvc_client.cli.transfer import BadDocument, Importer, canonical, export, read_document
from configsvc_client.models import Application, Snapshot


@pytest.fixture(scope="module")
def empty_service(server_url: str, template_database: str) -> Iterator[ServeInstance]:
    """A second service, on a database of its own, for the round trip."""
    name = create_database(server_url, template=template_database)
    instance = ServeInstance(make_dsn(server_url, dbname=name), workers=1)
    try:
        instance.wait_ready()
        yield instance
    finally:
        instance.stop()
        drop_database(server_url, name)


def exported(client: Client, application: str | None = None) -> str:
    out = io.StringIO()
    export(client, out, application)
    return out.getvalue()


def without_ids_and_timestamps(document: str) -> dict:
    value = json.loads(document)
    del value["exported_at"]
    for section in ("applications", "configurations"):
        for item in value[section]:
            for key in ("id", "created_at", "updated_at"):
                del item[key]
    return value


def imported(client: Client, path: Path, on_conflict: str = "fail") -> Importer:
    importer = Importer(client, on_conflict)  # type: ignore[arg-type]
    for section, item in read_document(path):
        importer.apply(section, item)
    return importer


def test_the_document_has_applications_and_configurations_by_name_one_item_a_line(service, app_name):
    with Client(service.url) as client:
        client.put_application(app_name, comments="cards")
        client.put(app_name, "production", {"db": {"port": 5432}}, comments="live")
        client.put(app_name, "staging", {})
        text = exported(client, app_name)
    lines = text.splitlines()
    assert lines[0].startswith('{"format": "configsvc-export", "version": 1, "exported_at": ')
    assert lines[1:4] == ['"applications":[', lines[2], "],"]
    assert lines[4] == '"configurations":['
    assert lines[-1] == "]}"
    document = without_ids_and_timestamps(text)
    assert document == {
        "format": "configsvc-export",
        "version": 1,
        "applications": [{"name": app_name, "comments": "cards"}],
        "configurations": [
            {"application": app_name, "name": "production", "comments": "live", "config": {"db": {"port": 5432}}},
            {"application": app_name, "name": "staging", "comments": None, "config": {}},
        ],
    }


def test_export_import_into_an_empty_service_export_gives_the_same_document(service, empty_service, app_name, tmp_path):
    with Client(service.url) as source:
        source.put_application(f"{app_name}-empty", comments="no configurations yet")
        source.put(
            app_name, "production", {"flags": [1, 2.5, True, None, "x"], "nested": {"a": {"b": {}}}}, comments="ü"
        )
        source.put(app_name, "with / odd ? names", {})
        before = exported(source)
    backup = tmp_path / "backup.json"
    backup.write_text(before)
    with Client(empty_service.url) as target:
        first = imported(target, backup)
        after = exported(target)
        assert without_ids_and_timestamps(after) == without_ids_and_timestamps(before)
        assert first.outcome.applications.created == len(json.loads(before)["applications"])
        assert first.outcome.configurations.created == len(json.loads(before)["configurations"])
        # Again: nothing changes, not even a version.
        versions = [s.version for s in target.configurations(app_name)]
        second = imported(target, backup)
        assert second.outcome.as_dict()["configurations"] == {
            "created": 0,
            "replaced": 0,
            "unchanged": first.outcome.configurations.created,
            "skipped": 0,
        }
        assert second.outcome.applications.unchanged == first.outcome.applications.created
        assert [s.version for s in target.configurations(app_name)] == versions


def test_items_that_differ_are_skipped_overwritten_or_reported(service, app_name, tmp_path):
    with Client(service.url) as client:
        client.put(app_name, "a", {"v": 1})
        client.put(app_name, "b", {"v": 1})
        backup = tmp_path / "backup.json"
        backup.write_text(exported(client, app_name))
        client.put(app_name, "a", {"v": 2})  # differs from the backup now
        client.put_application(app_name, comments="changed")

        check = Importer(client, "fail", dry_run=True)
        for section, item in read_document(backup):
            check.apply(section, item)
        assert check.outcome.conflicts == [
            f"application {app_name!r}: its comments differ",
            f"configuration {app_name}/a: its content differs",
        ]
        assert client.get(app_name, "a").version == 2  # a dry run writes nothing

        skipped = imported(client, backup, "skip")
        assert (skipped.outcome.configurations.skipped, skipped.outcome.configurations.unchanged) == (1, 1)
        assert client.get(app_name, "a").config == {"v": 2}

        overwritten = imported(client, backup, "overwrite")
        assert overwritten.outcome.configurations.replaced == 1
        assert overwritten.outcome.applications.replaced == 1
        assert (client.get(app_name, "a").config, client.application(app_name).comments) == ({"v": 1}, None)


def test_a_reformatted_export_reads_the_same(service, app_name, tmp_path):
    with Client(service.url) as client:
        client.put(app_name, "a", {"v": 1})
        text = exported(client, app_name)
    streamed, whole = tmp_path / "streamed.json", tmp_path / "pretty.json"
    streamed.write_text(text)
    whole.write_text(json.dumps(json.loads(text), indent=4))
    assert list(read_document(streamed)) == list(read_document(whole))
    assert [section for section, _ in read_document(whole)] == ["applications", "configurations"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "is not a configsvc export"),
        ('{"format": "consul"}', "not a configsvc export"),
        ('{"format": "configsvc-export", "version": 2}', "format version 2"),
        (
            '{"format": "configsvc-export", "version": 1, "applications": [], "configurations": [], "schemas": []}',
            "holds schemas, which this configsvc cannot import",
        ),
        ('{"format": "configsvc-export", "version": 1, "applications": [{"comments": "x"}]}', "has no name"),
        (
            '{"format": "configsvc-export", "version": 1, "configurations": [{"application": "a", "name": "b", "config": {}, "schema": {}}]}',
            "holds schema, which",
        ),
        (
            '{"format": "configsvc-export", "version": 1, "configurations": [{"application": "a", "name": "b", "config": []}]}',
            "needs an application name and a config object",
        ),
        (
            '{"format": "configsvc-export", "version": 1, "applications": [{"name": "a", "comments": 3}]}',
            "comments must be",
        ),
        (
            '{"format": "configsvc-export", "version": 1, "exported_at": "x",\n"applications":[\n{"name": "a",\n]}\n',
            "line 3",
        ),
    ],
)
def test_a_document_it_cannot_import_is_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(BadDocument, match=message):
        list(read_document(path))


def test_configs_are_compared_as_json_not_as_python_values():
    assert canonical({"a": True}) != canonical({"a": 1})
    assert canonical({"a": 1, "b": 2}) == canonical({"b": 2, "a": 1})


class Generated:
    """A stand-in for Client with `applications` x `per_application` configurations, made on demand."""

    def __init__(self, applications: int, per_application: int) -> None:
        self.count, self.per = applications, per_application

    def applications(self) -> Iterator[Application]:
        for n in range(self.count):
            yield Application(f"A{n:025d}", f"app-{n}", "generated", 1, "t", "t")

    def configurations(self, owner: Application) -> Iterator[Snapshot]:
        for n in range(self.per):
            config = {f"key-{k}": f"value {k} of {owner.name}/{n}" for k in range(10)}
            yield Snapshot(owner.name, f"config-{n}", config, '"1"', 1, f"C{n:025d}", owner.id, None, "t", "t")


class Sink:
    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> None:
        self.size += len(text)

    def flush(self) -> None:
        pass


def test_export_of_10000_configurations_holds_a_bounded_part_of_them_in_memory():
    sink = Sink()
    tracemalloc.start()
    try:
        counts = export(Generated(1000, 10), sink)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts == {"applications": 1000, "configurations": 10_000}
    assert sink.size > 4_000_000
    assert peak < sink.size / 20  # what a page takes, not what ten thousand configurations do


def test_import_reads_an_export_a_line_at_a_time(tmp_path):
    path = tmp_path / "big.json"
    with path.open("w") as file:
        export(Generated(1000, 10), file)  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        items = sum(1 for _ in read_document(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert items == 11_000
    assert peak < path.stat().st_size / 20
