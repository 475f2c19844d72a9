import pytest

from scripts.benchmark.etcd import ETCD_MISSING, Etcd, b64, require_etcd
from test.tools import requires


def test_keys_and_values_travel_base64():
    assert b64("/configurations/x") == "L2NvbmZpZ3VyYXRpb25zL3g="
    assert b64(b"\x00\xff") == "AP8="


def test_etcd_is_required_with_install_instructions(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)

    with pytest.raises(SystemExit) as raised:
        require_etcd()

    assert str(raised.value) == ETCD_MISSING
    assert "make tools" in ETCD_MISSING


@requires("etcd")
def test_etcd_starts_on_its_own_ports_holds_the_documents_and_stops(tmp_path):
    etcd = Etcd(tmp_path / "etcd")
    try:
        loaded = etcd.load((f"k{n}", f'{{"n":{n}}}'.encode()) for n in range(300))  # three transactions

        assert loaded == 300
        assert etcd.get("k7") == b'{"n":7}'
        assert etcd.get("missing") is None
    finally:
        etcd.stop()
    assert etcd.process.returncode is not None
