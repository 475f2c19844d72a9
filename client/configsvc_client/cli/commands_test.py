"""Every subcommand, option and exit code of `configsvc` against a real serve (typer's CliRunner
in process; a subprocess where a terminal or a signal is the point)."""

import http.server
import json
import os
import pty
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from configsvc_client import Client
from configsvc_client.cli.commands import app
from configsvc_client.reads_test import refused_url

CONFIGSVC = str(Path(sys.executable).parent / "configsvc")
COMMANDS = ["get", "put", "edit", "watch", "history", "diff", "restore", "delete", "export", "import"]


@pytest.fixture
def run(service):
    """`configsvc ARGS...` in process, against the session's service (CONFIGSVC_URL)."""

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        runner = CliRunner(env={"CONFIGSVC_URL": service.url, "NO_COLOR": None} | (env or {}))
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def client(service):
    with Client(service.url) as client:
        yield client


def last_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr  # a one-line reason
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    example = result.stdout.split("Example:\n\n")[1].splitlines()[0]
    assert f"configsvc {command} " in example


def test_usage_errors_exit_2(run):
    assert run("get", "only-one-argument").exit_code == 2
    assert run("get", "a", "b", "--no-such-option").exit_code == 2
    assert run("import", "a-file-that-does-not-exist.json").exit_code == 2
    assert run("diff", "a", "b", "zero").exit_code == 2


def test_get_prints_the_config_and_full_adds_what_identifies_the_version(run, client, app_name):
    client.put(app_name, "production", {"db": {"port": 5432}}, comments="live")
    plain = run("get", app_name, "production")
    assert (plain.exit_code, json.loads(plain.stdout), plain.stderr) == (0, {"db": {"port": 5432}}, "")
    full = json.loads(run("get", app_name, "production", "--full").stdout)
    assert {k: full[k] for k in ("application", "name", "version", "etag", "comments")} == {
        "application": app_name,
        "name": "production",
        "version": 1,
        "etag": '"1"',
        "comments": "live",
    }
    assert full["config"] == {"db": {"port": 5432}}


def test_not_found_exits_3_with_a_one_line_reason(run, app_name):
    result = run("get", app_name, "production")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert last_line(result.stderr) == f"configsvc: {app_name}/production: no application has this name (404)"


def test_unreachable_exits_5(run):
    result = run("get", "payments", "production", "--url", refused_url())
    assert result.exit_code == 5
    assert "the service is unreachable" in last_line(result.stderr)
    env_result = run("get", "payments", "production", env={"CONFIGSVC_URL": refused_url()})
    assert env_result.exit_code == 5


class Refusing(http.server.BaseHTTPRequestHandler):
    """A service that refuses every token (401), recording the headers it was sent."""

    seen: ClassVar[list[dict]] = []

    def do_GET(self) -> None:
        Refusing.seen.append(dict(self.headers))
        body = json.dumps({"status": 401, "detail": "the token is unknown, expired or revoked"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("WWW-Authenticate", 'Bearer realm="configsvc", error="invalid_token"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_the_token_is_sent_as_a_bearer_and_a_refusal_exits_1(run):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        by_option = run("get", "payments", "production", "--url", url, "--token", "cfgsvc_from_option")
        by_environment = run("get", "payments", "production", "--url", url, env={"CONFIGSVC_TOKEN": "cfgsvc_from_env"})
    finally:
        server.shutdown()
        server.server_close()
    assert by_option.exit_code == by_environment.exit_code == 1
    assert last_line(by_option.stderr) == (
        "configsvc: payments/production: the token is unknown, expired or revoked (401)"
    )
    assert [seen["Authorization"] for seen in Refusing.seen] == ["Bearer cfgsvc_from_option", "Bearer cfgsvc_from_env"]


def test_put_from_a_file_or_stdin_creates_then_replaces(run, client, app_name, tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"replicas": 2}')
    created = run("put", app_name, "production", str(path))
    assert created.exit_code == 0
    assert json.loads(created.stdout)["version"] == 1
    assert created.stderr == f"configsvc: {app_name}/production: version 1 written\n"
    replaced = run("put", app_name, "production", "-", input='{"replicas": 3}')
    assert (replaced.exit_code, json.loads(replaced.stdout)["version"]) == (0, 2)
    assert client.get(app_name, "production").config == {"replicas": 3}


def test_put_with_a_stale_if_match_exits_4_and_writes_nothing(run, client, app_name):
    client.put(app_name, "production", {"v": 1})
    client.put(app_name, "production", {"v": 2})
    stale = run("put", app_name, "production", "-", "--if-match", '"1"', input='{"v": 3}')
    assert stale.exit_code == 4
    assert "has changed since that ETag (412)" in last_line(stale.stderr)
    current = run("put", app_name, "production", "-", "--if-match", '"2"', input='{"v": 3}')
    assert current.exit_code == 0
    assert client.get(app_name, "production").config == {"v": 3}


def test_put_of_something_that_is_not_a_json_object_is_a_usage_error(run, app_name):
    result = run("put", app_name, "production", "-", input="[1, 2]")
    assert result.exit_code == 2
    assert last_line(result.stderr) == "configsvc: - holds an array: a configuration is a JSON object ({...})"


def test_what_the_service_refuses_exits_1(run, app_name):
    deep = "{}"
    for _ in range(40):
        deep = '{"d": ' + deep + "}"
    result = run("put", app_name, "production", "-", input=deep)
    assert result.exit_code == 1
    assert "(422)" in last_line(result.stderr)


EDITOR = """
import json, os, sys
path, state = sys.argv[-1], os.environ["EDIT_STATE"]
rounds = int(open(state).read()) if os.path.exists(state) else 0
open(state, "w").write(str(rounds + 1))
step = json.loads(os.environ["EDIT_STEPS"])[rounds]
with open(state + ".seen", "a") as seen:
    seen.write(json.dumps(open(path).read()) + "\\n")
if "meanwhile" in step:  # someone else writes while the file is open
    from configsvc_client import Client
    with Client(os.environ["CONFIGSVC_URL"]) as client:
        client.put(step["application"], "production", step["meanwhile"])
open(path, "w").write(step["write"])
sys.exit(step.get("exit", 0))
"""


@pytest.fixture
def editor(tmp_path):
    """A scripted $EDITOR: round n writes steps[n]["write"] into the file (and may write to the
    service meanwhile, or exit non-zero); returns the env to run `configsvc edit` with, and what
    the editor saw each round."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    state = tmp_path / "state"

    def with_steps(*steps: dict) -> dict:
        return {
            "EDITOR": f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}",
            "EDIT_STATE": str(state),
            "EDIT_STEPS": json.dumps(steps),
        }

    with_steps.seen = lambda: [json.loads(line) for line in Path(f"{state}.seen").read_text().splitlines()]
    return with_steps


def test_edit_writes_the_edited_config_over_the_version_opened(run, client, editor, app_name):
    client.put(app_name, "production", {"debug": False, "replicas": 2})
    result = run("edit", app_name, "production", env=editor({"write": '{"debug": true, "replicas": 2}'}))
    assert result.exit_code == 0
    assert result.stderr == f"configsvc: {app_name}/production: version 2 written\n"
    assert editor.seen() == ['{\n  "debug": false,\n  "replicas": 2\n}\n']  # pretty-printed, keys sorted
    assert client.get(app_name, "production").config == {"debug": True, "replicas": 2}
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"configsvc-edit-{app_name}-*"))  # cleaned up


def test_edit_reopens_what_is_not_a_json_object_with_the_error_on_top(run, client, editor, app_name):
    client.put(app_name, "production", {"v": 1})
    env = editor({"write": "[1, 2]"}, {"write": "{not json"}, {"write": '{"v": 2}'})
    result = run("edit", app_name, "production", env=env)
    assert result.exit_code == 0
    _, second, third = editor.seen()
    assert second == "# configsvc: a configuration is a JSON object ({...}), not an array\n" + (
        "# configsvc: not written; fix it and save again, or empty the file to give up.\n[1, 2]"
    )
    assert third.startswith("# configsvc: this is not JSON: ")
    assert third.endswith("{not json")
    assert client.get(app_name, "production").version == 2


def test_edit_over_a_version_someone_replaced_keeps_the_edit_and_exits_4(run, client, editor, app_name):
    client.put(app_name, "production", {"v": 1})
    env = editor({"write": '{"v": "mine"}', "meanwhile": {"v": "theirs"}, "application": app_name})
    result = run("edit", app_name, "production", env=env)
    assert result.exit_code == 4
    message = last_line(result.stderr)
    assert f'{app_name}/production changed since you opened version 1 (now "2"); nothing written.' in message
    kept = Path(message.split("Your edit is kept in ")[1].split(";")[0])
    try:
        assert json.loads(kept.read_text()) == {"v": "mine"}  # never a lost update
        assert client.get(app_name, "production").config == {"v": "theirs"}
        again = run("put", app_name, "production", str(kept))  # as the message suggests
        assert again.exit_code == 0
    finally:
        kept.unlink()


def test_edit_without_a_change_writes_nothing(run, client, editor, app_name):
    client.put(app_name, "production", {"a": 1, "b": 2})
    result = run("edit", app_name, "production", env=editor({"write": '{"b": 2, "a": 1}'}))
    assert result.exit_code == 0
    assert "no change; nothing written" in result.stderr
    assert client.get(app_name, "production").version == 1


@pytest.mark.parametrize(
    ("step", "message"),
    [({"write": "{}", "exit": 1}, "the editor exited with 1"), ({"write": "  \n"}, "the file was emptied")],
)
def test_edit_given_up_in_the_editor_writes_nothing_and_exits_1(run, client, editor, app_name, step, message):
    client.put(app_name, "production", {"v": 1})
    result = run("edit", app_name, "production", env=editor(step))
    assert result.exit_code == 1
    assert message in last_line(result.stderr)
    assert client.get(app_name, "production").version == 1


def test_edit_of_a_missing_configuration_exits_3(run, editor, app_name):
    assert run("edit", app_name, "production", env=editor({"write": "{}"})).exit_code == 3


def test_watch_prints_a_json_line_per_version_and_count_stops_it(run, client, app_name):
    client.put(app_name, "production", {"v": 1})

    def write_later() -> None:
        time.sleep(0.5)
        with Client(client._builder.base_url) as writer:
            writer.put(app_name, "production", {"v": 2})

    threading.Thread(target=write_later).start()
    result = run("watch", app_name, "production", "--count", "2")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["version"], line["config"], line["source"]) for line in lines] == [
        (1, {"v": 1}, "server"),
        (2, {"v": 2}, "server"),
    ]


def spawn(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([CONFIGSVC, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_watch_runs_until_ctrl_c_which_exits_0(service, client, app_name):
    client.put(app_name, "production", {"v": 1})
    process = spawn("watch", app_name, "production", "--url", service.url)
    try:
        assert json.loads(process.stdout.readline())["version"] == 1  # flushed as it came
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        process.kill()
        process.communicate()


def test_watch_keeps_trying_while_the_service_is_unreachable(service):
    process = spawn("watch", "payments", "production", "--url", refused_url())
    try:
        warning = process.stderr.readline()
        assert warning.startswith("configsvc: watching: payments/production: the service is unreachable")
        assert "; trying again in " in warning
        assert "trying again in " in process.stderr.readline()  # and again: a failure never ends it
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        process.kill()
        process.communicate()


def test_history_lists_versions_newest_first_and_limit_keeps_the_newest(run, client, app_name):
    for v in range(1, 4):
        client.put(app_name, "production", {"v": v})
    every = json.loads(run("history", app_name, "production").stdout)
    assert [(r["version"], r["config"]) for r in every] == [(3, {"v": 3}), (2, {"v": 2}), (1, {"v": 1})]
    assert [r["version"] for r in json.loads(run("history", app_name, "production", "--limit", "1").stdout)] == [3]
    assert run("history", app_name, "nothing").exit_code == 3


def test_diff_compares_the_previous_version_with_the_current_one_by_default(run, client, app_name):
    client.put(app_name, "production", {"a": 1})
    first = run("diff", app_name, "production")
    assert first.stdout.splitlines()[:2] == ["--- /dev/null", f"+++ {app_name}/production version 1"]
    client.put(app_name, "production", {"a": 2})
    client.put(app_name, "production", {"b": True, "a": 2})
    default = run("diff", app_name, "production")
    assert default.exit_code == 0
    assert default.stdout == (
        f"--- {app_name}/production version 2\n+++ {app_name}/production version 3\n"
        '@@ -1,3 +1,4 @@\n {\n-  "a": 2\n+  "a": 2,\n+  "b": true\n }\n'
    )
    assert "\033[" not in default.stdout  # no colour into a pipe


def test_diff_of_given_versions(run, client, app_name):
    for v in range(1, 4):
        client.put(app_name, "production", {"v": v})
    against_current = run("diff", app_name, "production", "1").stdout
    assert against_current.splitlines()[:2] == [
        f"--- {app_name}/production version 1",
        f"+++ {app_name}/production version 3",
    ]
    between = run("diff", app_name, "production", "2", "1").stdout
    assert '-  "v": 2\n+  "v": 1\n' in between
    assert run("diff", app_name, "production", "1", "1").stdout == ""
    missing = run("diff", app_name, "production", "9")
    assert missing.exit_code == 3
    assert last_line(missing.stderr).endswith("production version 9: no such configuration revision (404)")


def test_diff_is_coloured_on_a_terminal(service, client, app_name):
    client.put(app_name, "production", {"a": 1})
    client.put(app_name, "production", {"a": 2})
    leader, follower = pty.openpty()
    try:
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        command = [CONFIGSVC, "diff", app_name, "production", "--url", service.url]
        process = subprocess.Popen(command, stdout=follower, env=env)
        assert process.wait(30) == 0
        output = os.read(leader, 10_000).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert '\033[31m-  "a": 1\033[0m' in output
    assert '\033[32m+  "a": 2\033[0m' in output


def test_restore_writes_an_old_version_again(run, client, app_name):
    client.put(app_name, "production", {"v": 1})
    client.put(app_name, "production", {"v": 2})
    restored = run("restore", app_name, "production", "1")
    assert restored.exit_code == 0
    assert (json.loads(restored.stdout)["version"], json.loads(restored.stdout)["config"]) == (3, {"v": 1})
    assert restored.stderr == f"configsvc: {app_name}/production: version 1 restored as version 3\n"
    assert run("restore", app_name, "production", "2", "--if-match", '"2"').exit_code == 4
    assert run("restore", app_name, "production", "2", "--if-match", '"3"').exit_code == 0
    assert run("restore", app_name, "production", "99").exit_code == 3


def test_delete_removes_it_and_then_it_is_not_found(run, client, app_name):
    client.put(app_name, "production", {"v": 1})
    client.put(app_name, "production", {"v": 2})
    assert run("delete", app_name, "production", "--if-match", '"1"').exit_code == 4
    deleted = run("delete", app_name, "production", "--if-match", '"2"')
    assert (deleted.exit_code, deleted.stdout, deleted.stderr) == (
        0,
        "",
        f"configsvc: {app_name}/production: deleted\n",
    )
    assert run("delete", app_name, "production").exit_code == 3
    assert run("get", app_name, "production").exit_code == 3


def test_export_one_application_or_all(run, client, app_name):
    client.put(app_name, "a", {"v": 1})
    client.put(app_name, "b", {"v": 2})
    one = run("export", "--application", app_name)
    assert one.exit_code == 0
    document = json.loads(one.stdout)
    assert [a["name"] for a in document["applications"]] == [app_name]
    assert [(c["name"], c["config"]) for c in document["configurations"]] == [("a", {"v": 1}), ("b", {"v": 2})]
    assert one.stderr == "configsvc: exported 1 applications, 2 configurations\n"
    everything = json.loads(run("export").stdout)
    assert app_name in [a["name"] for a in everything["applications"]]
    assert run("export", "--application", f"{app_name}-missing").exit_code == 3


def test_import_creates_then_changes_nothing_and_handles_conflicts_as_asked(run, client, app_name, tmp_path):
    client.put(app_name, "a", {"v": 1})
    backup = tmp_path / "backup.json"
    backup.write_text(run("export", "--application", app_name).stdout)
    client.delete(app_name, "a")

    created = run("import", str(backup))
    assert created.exit_code == 0
    assert json.loads(created.stdout)["configurations"] == {"created": 1, "replaced": 0, "unchanged": 0, "skipped": 0}
    again = run("import", str(backup))
    assert json.loads(again.stdout)["configurations"]["unchanged"] == 1
    assert client.get(app_name, "a").version == 1

    client.put(app_name, "a", {"v": "changed"})
    refused = run("import", str(backup))
    assert refused.exit_code == 4
    assert refused.stderr.splitlines() == [
        f"configsvc: configuration {app_name}/a: its content differs",
        "configsvc: 1 conflicts; nothing imported. Use --on-conflict skip or overwrite",
    ]
    skipped = run("import", str(backup), "--on-conflict", "skip")
    assert json.loads(skipped.stdout)["configurations"]["skipped"] == 1
    assert client.get(app_name, "a").config == {"v": "changed"}
    overwritten = run("import", str(backup), "--on-conflict", "overwrite")
    assert json.loads(overwritten.stdout)["configurations"]["replaced"] == 1
    assert client.get(app_name, "a").config == {"v": 1}
    assert run("import", str(backup), "--on-conflict", "merge").exit_code == 2


def test_import_of_a_document_it_cannot_read_writes_nothing_and_exits_2(run, client, app_name, tmp_path):
    bad = tmp_path / "bad.json"
    lines = [
        '{"format": "configsvc-export", "version": 1, "exported_at": "x",',
        '"applications":[',
        json.dumps({"name": app_name, "comments": None}),
        "],",
        '"configurations":[',
        json.dumps({"application": app_name, "name": "a", "comments": None, "config": {}}) + ",",
        json.dumps({"application": app_name, "name": "b", "comments": None, "config": [], "schema": {}}),
        "]}",
    ]
    bad.write_text("\n".join(lines) + "\n")
    result = run("import", str(bad))
    assert result.exit_code == 2
    assert "holds schema, which this configsvc cannot import" in last_line(result.stderr)
    assert run("get", app_name, "a").exit_code == 3  # the first, valid item was not written either
