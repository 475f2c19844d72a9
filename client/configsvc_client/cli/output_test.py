import json

import pytest
import typer

from configsvc_client import errors
from configsvc_client.cli import output
from configsvc_client.cli.output import exit_code, read_config, reports_errors


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("NotFound", 3),
        ("PreconditionFailed", 4),
        ("Conflict", 4),
        ("Unavailable", 5),
        ("Unauthorized", 1),
        ("Rejected", 1),
        ("ConfigsvcError", 1),
    ],
)
def test_each_kind_of_error_has_its_exit_code(kind, code):
    assert exit_code(getattr(errors, kind)("x")) == code


def test_errors_become_one_line_on_stderr_and_their_exit_code(capsys):
    @reports_errors
    def command() -> None:
        raise errors.NotFound("payments/production: no such configuration (404)")

    with pytest.raises(typer.Exit) as raised:
        command()
    assert raised.value.exit_code == 3
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "configsvc: payments/production: no such configuration (404)\n")


def test_data_is_indented_json_or_one_line(capsys):
    output.emit({"b": [1, 2], "a": "ü"})
    output.emit({"b": 1}, line=True)
    assert capsys.readouterr().out == '{\n  "b": [\n    1,\n    2\n  ],\n  "a": "ü"\n}\n{"b":1}\n'
    assert (
        output.pretty({"b": 1, "a": {"d": 1, "c": 2}}) == json.dumps({"a": {"c": 2, "d": 1}, "b": 1}, indent=2) + "\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [("[1, 2]", "holds an array"), ('"x"', "holds a string"), ("null", "holds null"), ("{", "is not JSON")],
)
def test_a_config_file_must_hold_a_json_object(tmp_path, capsys, content, message):
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(typer.Exit) as raised:
        read_config(str(path))
    assert raised.value.exit_code == 2
    assert message in capsys.readouterr().err


def test_a_missing_config_file_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(typer.Exit) as raised:
        read_config(str(tmp_path / "missing.json"))
    assert raised.value.exit_code == 2
    assert "cannot read" in capsys.readouterr().err
