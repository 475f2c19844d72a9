from test.tools import requires


@requires("sh")
def test_a_present_tool_runs_the_test():
    pass


def test_an_absent_tool_skips_with_a_one_line_reason():
    mark = requires("no-such-tool-anywhere").mark

    assert mark.args == (True,)
    assert mark.kwargs["reason"] == "no-such-tool-anywhere is not installed (make tools installs it)"
    assert "\n" not in mark.kwargs["reason"]
