import json
import logging
import os
import stat

from configsvc_client import cache as cache_module
from configsvc_client.cache import LastKnownGood
from configsvc_client.models import Snapshot


def snapshot(application: str = "payments", name: str = "production", version: int = 3, **config) -> Snapshot:
    representation = {
        "id": "01J0000000000000000000000C",
        "application_id": "01J0000000000000000000000A",
        "name": name,
        "comments": None,
        "config": config or {"debug": False},
        "version": version,
        "created_at": "2026-11-26T06:05:04.123456Z",
        "updated_at": "2026-11-26T06:05:04.123456Z",
    }
    return Snapshot.from_representation(application, representation, f'"{version}"')


def test_a_stored_snapshot_comes_back_marked_as_from_the_cache(tmp_path):
    cache = LastKnownGood(tmp_path / "lkg")
    cache.store(snapshot(debug=True))
    loaded = cache.load("payments", "production")
    assert loaded.representation() == snapshot(debug=True).representation()
    assert (loaded.etag, loaded.application, loaded.source, loaded.stale) == ('"3"', "payments", "cache", True)


def test_files_are_readable_by_their_owner_only(tmp_path):
    cache = LastKnownGood(tmp_path / "lkg")
    cache.store(snapshot())
    assert stat.S_IMODE(os.stat(tmp_path / "lkg").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache.path("payments", "production")).st_mode) == 0o600


def test_a_write_goes_to_a_synced_temporary_file_renamed_over_the_old_one(tmp_path, monkeypatch):
    cache = LastKnownGood(tmp_path)
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        os, "fsync", lambda fd: events.append(("fsync", stat.S_ISDIR(os.fstat(fd).st_mode))) or real_fsync(fd)
    )
    monkeypatch.setattr(
        os, "replace", lambda a, b: events.append(("rename", os.path.dirname(a) == str(tmp_path))) or real_replace(a, b)
    )
    cache.store(snapshot())
    # The file's content reaches the disk before the rename makes it visible; then the rename.
    assert events == [("fsync", False), ("rename", True), ("fsync", True)]


def test_a_write_that_fails_midway_leaves_the_previous_file_whole_and_no_litter(tmp_path, monkeypatch, caplog):
    cache = LastKnownGood(tmp_path)
    cache.store(snapshot(version=3))

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with caplog.at_level(logging.WARNING, logger="configsvc_client"):
        cache.store(snapshot(version=4))  # logged, not raised: the caller has its fresh answer
    assert "No space left on device" in caplog.text
    assert cache.load("payments", "production").version == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [cache.path("payments", "production").name]


def test_any_names_get_files_of_their_own(tmp_path):
    cache = LastKnownGood(tmp_path)
    odd = [("a/b", "c"), ("a", "b/c"), ("ü" * 256, "n" * 256), ("x", "../../etc/passwd")]
    for application, name in odd:
        cache.store(snapshot(application, name, marker=f"{application}|{name}"))
    for application, name in odd:
        assert cache.load(application, name).config == {"marker": f"{application}|{name}"}
    assert all(p.parent == tmp_path for p in tmp_path.iterdir())


def test_nothing_stored_a_torn_file_or_another_configurations_file_load_as_nothing(tmp_path, caplog):
    cache = LastKnownGood(tmp_path)
    assert cache.load("payments", "production") is None
    cache.path("payments", "production").write_text('{"format": 1, "appli')
    with caplog.at_level(logging.WARNING, logger="configsvc_client"):
        assert cache.load("payments", "production") is None
    assert "unreadable cache file" in caplog.text
    document = {"format": 1, "application": "other", "etag": '"1"', "configuration": snapshot().representation()}
    cache.path("payments", "production").write_text(json.dumps(document))
    assert cache.load("payments", "production") is None


def test_drop_forgets_a_configuration(tmp_path):
    cache = LastKnownGood(tmp_path)
    cache.store(snapshot())
    cache.drop("payments", "production")
    assert cache.load("payments", "production") is None
    cache.drop("payments", "production")  # nothing there: no error


def test_a_directory_that_is_a_file_is_a_warning_not_an_error(tmp_path, caplog):
    (tmp_path / "lkg").write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="configsvc_client"):
        LastKnownGood(tmp_path / "lkg").store(snapshot())
    assert "could not write the cache file" in caplog.text
    assert cache_module.FORMAT == 1
