import httpx
import pytest

from configsvc_client.steps import Emit, Sleep, drive


def test_drive_sends_each_outcome_back_and_returns_the_plans_result():
    def plan():
        response = yield httpx.Request("GET", "http://svc/a")
        slept = yield Sleep(1.5)
        return response.status_code, slept

    performed = []

    def perform(step):
        performed.append(step)
        return httpx.Response(200) if isinstance(step, httpx.Request) else "slept"

    assert drive(plan(), perform) == (200, "slept")
    assert [type(step) for step in performed] == [httpx.Request, Sleep]


def test_a_transport_error_is_thrown_into_the_plan_where_it_waits():
    def plan():
        try:
            yield httpx.Request("GET", "http://svc/a")
        except httpx.ConnectError as error:
            return f"handled: {error}"
        return "not reached"

    def refuse(step):
        raise httpx.ConnectError("refused")

    assert drive(plan(), refuse) == "handled: refused"


def test_other_errors_of_the_shell_propagate_and_close_the_plan():
    closed = []

    def plan():
        try:
            yield httpx.Request("GET", "http://svc/a")
        finally:
            closed.append(True)

    def broken(step):
        raise RuntimeError("the client is closed")

    with pytest.raises(RuntimeError):
        drive(plan(), broken)
    assert closed == [True]


def test_a_plan_that_emits_is_not_run_as_a_call():
    def plan():
        yield Emit(1)

    with pytest.raises(TypeError):
        drive(plan(), lambda step: None)
