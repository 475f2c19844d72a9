from test.tools import requires


def test_a_present_tool_runs_the_test():
    mark = requires("sh").mark

    assert mark.args == (False,)  # the skip's condition is false: the test runs


def test_an_absent_tool_skips_with_a_one_line_reason():
    mark = requires("no-such-tool-anywhere").mark

    assert mark.args == (True,)
    assert mark.kwargs["reason"] == "no-such-tool-anywhere is not installed (make tools installs it)"
    assert "\n" not in mark.kwargs["reason"]
