import io
import os
import pty

from configsvc_client.cli.diffing import GREEN, RED, coloured, unified, wants_colour


def test_the_diff_compares_sorted_pretty_printed_configs():
    lines = unified({"b": 1, "a": {"x": True}}, {"a": {"x": False}, "b": 1}, old_label="v1", new_label="v2")
    assert "".join(lines) == (
        '--- v1\n+++ v2\n@@ -1,6 +1,6 @@\n {\n   "a": {\n-    "x": true\n+    "x": false\n   },\n   "b": 1\n }\n'
    )


def test_key_order_alone_is_no_difference():
    assert unified({"a": 1, "b": 2}, {"b": 2, "a": 1}, old_label="x", new_label="y") == []


def test_without_an_old_version_everything_is_added():
    lines = unified(None, {"a": 1}, old_label="/dev/null", new_label="v1")
    assert lines[:2] == ["--- /dev/null\n", "+++ v1\n"]
    assert lines[3:] == ["+{\n", '+  "a": 1\n', "+}\n"]


def test_colour_paints_additions_and_removals():
    painted = coloured(["--- a\n", "+++ b\n", "@@ -1 +1 @@\n", "-old\n", "+new\n", " same\n"])
    assert painted[3] == f"{RED}-old\033[0m\n"
    assert painted[4] == f"{GREEN}+new\033[0m\n"
    assert painted[5] == " same\n"


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    assert not wants_colour(io.StringIO())
    leader, follower = pty.openpty()
    with open(follower, "w") as terminal:
        monkeypatch.delenv("NO_COLOR", raising=False)
        assert wants_colour(terminal)
        monkeypatch.setenv("NO_COLOR", "1")
        assert not wants_colour(terminal)
    os.close(leader)
