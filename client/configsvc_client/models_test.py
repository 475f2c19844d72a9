import subprocess
import sys
from dataclasses import dataclass

import pydantic
import pytest

from configsvc_client.models import Application, Revision, Snapshot

REPRESENTATION = {
    "id": "01J0000000000000000000000C",
    "application_id": "01J0000000000000000000000A",
    "name": "production",
    "comments": "live",
    "config": {"db": {"host": "db.internal", "port": 5432}, "debug": False},
    "version": 3,
    "created_at": "2026-11-26T06:05:04.123456Z",
    "updated_at": "2026-11-27T06:05:04.123456Z",
}


def snapshot() -> Snapshot:
    return Snapshot.from_representation("payments", REPRESENTATION, '"3"')


def test_a_snapshot_holds_what_the_service_sent_and_says_it_is_fresh():
    s = snapshot()
    assert (s.application, s.name, s.id, s.application_id, s.version, s.etag) == (
        "payments",
        "production",
        REPRESENTATION["id"],
        REPRESENTATION["application_id"],
        3,
        '"3"',
    )
    assert s.config == REPRESENTATION["config"]
    assert (s.source, s.stale) == ("server", False)
    assert s.value == s.config  # no model: the config itself
    assert s.representation() == REPRESENTATION


def test_from_cache_marks_it_stale():
    cached = snapshot().from_cache()
    assert (cached.source, cached.stale) == ("cache", True)
    assert cached.config == REPRESENTATION["config"]


class Database(pydantic.BaseModel):
    host: str
    port: int


class Settings(pydantic.BaseModel):
    db: Database
    debug: bool


@dataclass
class Plain:
    """Not Pydantic: anything with a model_validate class method will do."""

    debug: bool

    @classmethod
    def model_validate(cls, obj: dict) -> "Plain":
        return cls(debug=obj["debug"])


def test_value_is_validated_by_any_model_with_model_validate():
    assert snapshot().validated(Settings).value == Settings(db=Database(host="db.internal", port=5432), debug=False)
    assert snapshot().validated(Plain).value == Plain(debug=False)


def test_a_model_that_refuses_the_config_raises_its_own_error():
    class Strict(pydantic.BaseModel):
        debug: int
        missing: str

    with pytest.raises(pydantic.ValidationError):
        snapshot().validated(Strict)


def test_same_version_needs_the_same_configuration_and_etag():
    s = snapshot()
    assert s.same_version(s.from_cache())
    recreated = Snapshot.from_representation("payments", REPRESENTATION | {"id": "01J0000000000000000000000D"}, '"3"')
    assert not s.same_version(recreated)  # deleted and created again: version numbers start over
    assert not s.same_version(Snapshot.from_representation("payments", REPRESENTATION | {"version": 4}, '"4"'))
    assert not s.same_version(None)


def test_the_client_imports_without_pydantic():
    blocked = "import sys; sys.modules['pydantic'] = None; import configsvc_client; print('ok')"
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_applications_and_revisions_read_the_services_json():
    app = Application.from_representation(
        {"id": "A", "name": "payments", "comments": None, "version": 2, "seq": 5, "created_at": "c", "updated_at": "u"}
    )
    assert (app.id, app.name, app.comments, app.version) == ("A", "payments", None, 2)
    raw = {"configuration_id": "C", "version": 2, "name": "p", "comments": None, "config": {"a": 1}, "created_at": "t"}
    assert Revision.from_representation(raw).as_dict() == raw
