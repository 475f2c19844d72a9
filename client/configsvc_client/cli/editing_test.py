import json
import shlex
import stat
import sys

from configsvc_client.cli.editing import ERROR_MARK, Editing, default_editor, parsed


def test_the_file_holds_the_pretty_printed_config_for_its_owner_only():
    editing = Editing.open("pay/ments", "prod uction", {"b": 1, "a": 2})
    try:
        assert editing.path.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
        assert stat.S_IMODE(editing.path.stat().st_mode) == 0o600
        assert editing.path.name.startswith("configsvc-edit-pay_ments-prod_uction-")
    finally:
        editing.remove()
    assert not editing.path.exists()


def test_an_error_goes_on_top_and_is_dropped_when_read_back():
    editing = Editing.open("a", "b", {})
    try:
        editing.show_error("this is not JSON: Expecting value\nsecond line", "{oops\n")
        text = editing.path.read_text()
        assert text.startswith(f"{ERROR_MARK} this is not JSON: Expecting value\n{ERROR_MARK} second line\n")
        assert editing.read() == "{oops\n"
    finally:
        editing.remove()


def test_the_editor_is_a_command_line_run_on_the_file(tmp_path):
    script = tmp_path / "editor.py"
    script.write_text("import sys, json; open(sys.argv[2], 'w').write(json.dumps({'edited': sys.argv[1]}))")
    editing = Editing.open("a", "b", {})
    try:
        assert editing.run_editor(f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} --flag") == 0
        assert json.loads(editing.read()) == {"edited": "--flag"}
    finally:
        editing.remove()


def test_only_a_json_object_is_a_configuration():
    assert parsed('{"a": 1}') == ({"a": 1}, None)
    assert parsed("[1]") == (None, "a configuration is a JSON object ({...}), not an array")
    assert parsed("{")[1].startswith("this is not JSON: ")


def test_editor_is_taken_from_editor_then_visual(monkeypatch):
    monkeypatch.setenv("EDITOR", "nano")
    monkeypatch.setenv("VISUAL", "code --wait")
    assert default_editor() == "nano"
    monkeypatch.delenv("EDITOR")
    assert default_editor() == "code --wait"
    monkeypatch.delenv("VISUAL")
    assert default_editor() == "vi"
