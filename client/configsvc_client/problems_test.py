from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from configsvc_client.errors import Conflict, NotFound, PreconditionFailed, Rejected, Unauthorized, Unavailable
from configsvc_client.problems import problem_error, problem_type, retry_after, transport_error


def problem(status: int, detail: str = "something", **extra) -> httpx.Response:
    body = {
        "type": "urn:configsvc:problem:x",
        "title": "t",
        "status": status,
        "detail": detail,
        "instance": "urn:uuid:1",
    }
    return httpx.Response(status, json=body | extra, headers={"X-Request-ID": "req-1"})


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (404, NotFound),
        (401, Unauthorized),
        (403, Unauthorized),
        (412, PreconditionFailed),
        (409, Conflict),
        (422, Rejected),
        (413, Rejected),
        (415, Rejected),
        (429, Unavailable),
        (500, Unavailable),
        (502, Unavailable),
        (503, Unavailable),
    ],
)
def test_each_status_becomes_the_error_that_says_what_happened(status, kind):
    error = problem_error(problem(status, "the service's own words"), "payments/production")
    assert type(error) is kind
    assert str(error) == f"payments/production: the service's own words ({status})"
    assert (error.status, error.detail, error.request_id) == (status, "the service's own words", "req-1")


def test_a_412_carries_the_current_etag_and_a_422_the_field_errors():
    stale = problem_error(problem(412, current_etag='"7"', current_version=7), "a/b")
    assert isinstance(stale, PreconditionFailed)
    assert stale.current_etag == '"7"'
    items = [{"loc": ["body", "config"], "msg": "nested too deep", "type": "value_error"}]
    invalid = problem_error(problem(422, errors=items), "a/b")
    assert isinstance(invalid, Rejected)
    assert invalid.errors == items


def test_an_answer_that_is_no_problem_document_still_names_its_status():
    # A proxy's HTML 502 in front of the service.
    error = problem_error(httpx.Response(502, text="<html>Bad gateway</html>"), "a/b")
    assert isinstance(error, Unavailable)
    assert str(error) == "a/b: Bad Gateway (502)"
    assert error.detail is None


def test_problem_type_reads_the_problems_type_uri():
    assert problem_type(problem(422)) == "urn:configsvc:problem:x"
    assert problem_type(httpx.Response(500, text="oops")) == ""


def test_transport_errors_are_unavailable_and_say_why():
    error = transport_error(httpx.ConnectError("[Errno 111] Connection refused"), "a/b")
    assert isinstance(error, Unavailable)
    assert str(error) == "a/b: the service is unreachable ([Errno 111] Connection refused)"
    assert "ReadTimeout" in str(transport_error(httpx.ReadTimeout(""), "a/b"))


def test_retry_after_reads_seconds_or_a_date_and_ignores_the_rest():
    assert retry_after(httpx.Response(503, headers={"Retry-After": "3"})) == 3.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert 15 < retry_after(httpx.Response(503, headers={"Retry-After": soon})) <= 20
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(503)) is None
