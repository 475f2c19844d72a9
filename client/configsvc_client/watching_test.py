"""The watch plan driven by a script of answers, without a server: which requests it sends, what it
yields, when it sleeps. (sync_client_test and async_client_test run it against a real serve.)"""

import logging

import httpx
import pytest

from configsvc_client.backoff import Backoff
from configsvc_client.models import Snapshot
from configsvc_client.request_builder import RequestBuilder
from configsvc_client.steps import Drop, Emit, Load, Sleep, Store
from configsvc_client.watching import UNHELD_POLL_SECONDS, watch

BUILDER = RequestBuilder("http://svc", timeout=5.0)


def representation(version: int, id: str = "01J0000000000000000000000C") -> dict:
    return {
        "id": id,
        "application_id": "01J0000000000000000000000A",
        "name": "production",
        "comments": None,
        "config": {"v": version},
        "version": version,
        "created_at": "2026-11-26T06:05:04.123456Z",
        "updated_at": "2026-11-26T06:05:04.123456Z",
    }


def found(version: int, *, id: str = "01J0000000000000000000000C", held: bool = True) -> httpx.Response:
    headers = {"ETag": f'"{version}"'} | ({"Preference-Applied": "wait=30"} if held else {})
    return httpx.Response(200, json=representation(version, id), headers=headers)


def unchanged(version: int, *, held: bool = True) -> httpx.Response:
    return httpx.Response(304, headers={"ETag": f'"{version}"'} | ({"Preference-Applied": "wait=30"} if held else {}))


def problem(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"detail": f"status {status}", "status": status}, headers=headers)


def cached_snapshot(version: int) -> Snapshot:
    return Snapshot.from_representation("payments", representation(version), f'"{version}"', source="cache")


class Script:
    """Drives a watch plan: each request gets the next scripted answer (a response, or an exception
    to throw); the cache is a dict. Records every step the plan takes."""

    def __init__(self, answers: list, *, cache: dict | None = None, **options) -> None:
        self.answers = list(answers)
        self.cache = cache if cache is not None else {}
        self.steps: list = []
        options.setdefault("backoff", Backoff())
        self.plan = watch(BUILDER, "payments", "production", options.pop("model", None), wait=30, **options)

    def run(self) -> list[Snapshot]:
        """Until the answers run out; returns what the watch yielded."""
        emitted = []
        step = next(self.plan)
        while True:
            self.steps.append(step)
            if isinstance(step, httpx.Request):
                if not self.answers:
                    self.plan.close()
                    return emitted
                answer = self.answers.pop(0)
                if isinstance(answer, Exception):
                    step = self.plan.throw(answer)
                    continue
                step = self.plan.send(answer)
            elif isinstance(step, Emit):
                emitted.append(step.value)
                step = self.plan.send(None)
            elif isinstance(step, Store):
                self.cache["payments/production"] = step.snapshot
                step = self.plan.send(None)
            elif isinstance(step, Load):
                step = self.plan.send(self.cache.get("payments/production"))
            elif isinstance(step, Drop):
                self.cache.pop("payments/production", None)
                step = self.plan.send(None)
            else:
                assert isinstance(step, Sleep)
                step = self.plan.send(None)

    def requests(self) -> list[httpx.Request]:
        return [step for step in self.steps if isinstance(step, httpx.Request)]

    def sleeps(self) -> list[float]:
        return [step.seconds for step in self.steps if isinstance(step, Sleep)]


def versions(snapshots: list[Snapshot]) -> list[tuple[int, str]]:
    return [(s.version, s.source) for s in snapshots]


def test_the_current_version_then_each_change_held_without_a_sleep_between():
    script = Script([found(1, held=False), found(2), unchanged(2), found(3)])
    assert versions(script.run()) == [(1, "server"), (2, "server"), (3, "server")]
    first, *held = script.requests()
    assert "If-None-Match" not in first.headers
    assert [(r.headers["If-None-Match"], r.headers["Prefer"]) for r in held] == [
        ('"1"', "wait=30"),
        ('"2"', "wait=30"),
        ('"2"', "wait=30"),
        ('"3"', "wait=30"),
    ]
    assert script.sleeps() == []  # never sleeps after a successful poll


def test_each_version_is_stored_before_it_is_yielded():
    script = Script([found(1), found(2)])
    script.run()
    kinds = [type(step).__name__ for step in script.steps if not isinstance(step, httpx.Request)]
    assert kinds == ["Store", "Emit", "Store", "Emit"]
    assert script.cache["payments/production"].version == 2


def test_a_304_that_was_not_held_paces_the_loop_instead_of_spinning():
    script = Script([found(1), unchanged(1, held=False), unchanged(1)])
    script.run()
    assert script.sleeps() == [UNHELD_POLL_SECONDS]


def test_after_a_failure_it_resumes_without_yielding_a_version_twice_or_missing_the_latest(caplog):
    answers = [
        found(1),
        found(2),
        httpx.ConnectError("refused"),
        found(2, held=False),
        httpx.ReadTimeout("slow"),
        found(5, held=False),
        found(6),
    ]
    script = Script(answers)
    with caplog.at_level(logging.WARNING, logger="configsvc_client"):
        snapshots = script.run()
    assert versions(snapshots) == [(1, "server"), (2, "server"), (5, "server"), (6, "server")]
    requests = script.requests()
    # Each resumption reads the current version whole, and holds on it again from there.
    assert ["If-None-Match" in r.headers for r in requests] == [False, True, True, False, True, False, True, True]
    assert len(script.sleeps()) == 2
    assert "watching: payments/production: the service is unreachable (refused)" in caplog.text
    assert "watching: payments/production: the service is unreachable (slow)" in caplog.text


def test_a_configuration_recreated_under_its_name_while_away_is_yielded_though_its_version_matches():
    script = Script([found(1), httpx.ConnectError("refused"), found(1, id="01J0000000000000000000000D", held=False)])
    snapshots = script.run()
    assert [(s.version, s.id[-1]) for s in snapshots] == [(1, "C"), (1, "D")]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("server disconnected"),
        problem(500),
        problem(503, **{"Retry-After": "1"}),
        problem(401),
        problem(403),
        problem(404),
        problem(422),
    ],
    ids=lambda failure: getattr(failure, "status_code", type(failure).__name__),
)
def test_no_failure_ends_the_iterator(failure, caplog):
    script = Script([found(1), failure, failure, failure, found(2, held=False)])
    with caplog.at_level(logging.WARNING, logger="configsvc_client"):
        assert versions(script.run()) == [(1, "server"), (2, "server")]
    assert len(script.sleeps()) == 3
    assert caplog.text.count("trying again in") == 3


def test_waits_grow_with_jitter_up_to_30_seconds_and_honour_retry_after():
    failures = [problem(503)] * 12 + [problem(503, **{"Retry-After": "20"})]
    script = Script([found(1), *failures, found(2, held=False)], backoff=Backoff(uniform=lambda low, high: high))
    script.run()
    assert script.sleeps() == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30, 30]
    script = Script([found(1), problem(503, **{"Retry-After": "7"}), found(2, held=False)])
    script.run()
    assert script.sleeps()[0] >= 7


def test_a_success_resets_the_backoff():
    answers = [
        found(1),
        problem(500),
        problem(500),
        problem(500),
        found(2, held=False),
        problem(500),
        found(3, held=False),
    ]
    script = Script(answers, backoff=Backoff(uniform=lambda low, high: high))
    script.run()
    assert script.sleeps() == [0.5, 1, 2, 0.5]


def test_a_deleted_configuration_drops_its_cached_copy_and_is_waited_for():
    script = Script([found(1), problem(404), problem(404), found(1, id="01J0000000000000000000000D", held=False)])
    snapshots = script.run()
    assert [step for step in script.steps if isinstance(step, Drop)] == [Drop("payments", "production")] * 2
    assert [(s.version, s.id[-1]) for s in snapshots] == [(1, "C"), (1, "D")]


def test_starting_while_the_service_is_away_yields_the_cached_version_first_and_not_again():
    cache = {"payments/production": cached_snapshot(4)}
    script = Script([httpx.ConnectError("refused"), problem(503), found(4, held=False), found(5)], cache=cache)
    assert versions(script.run()) == [(4, "cache"), (5, "server")]


def test_starting_while_away_with_nothing_cached_yields_nothing_until_the_service_answers():
    script = Script([httpx.ConnectError("refused"), httpx.ConnectError("refused"), found(1, held=False)])
    assert versions(script.run()) == [(1, "server")]


def test_since_holds_on_a_version_the_caller_already_has():
    since = Snapshot.from_representation("payments", representation(3), '"3"')
    script = Script([unchanged(3), found(4)], since=since)
    assert versions(script.run()) == [(4, "server")]
    assert script.requests()[0].headers["If-None-Match"] == '"3"'


def test_a_version_the_model_refuses_is_skipped_and_not_cached(caplog):
    class Positive:
        @classmethod
        def model_validate(cls, config):
            if config["v"] == 2:
                raise ValueError("v must not be 2")
            return config["v"]

    script = Script([found(1), found(2), found(3)], model=Positive)
    with caplog.at_level(logging.WARNING, logger="configsvc_client"):
        snapshots = script.run()
    assert [s.value for s in snapshots] == [1, 3]
    assert "version 2 is not valid" in caplog.text
    assert "v must not be 2" in caplog.text
    stored = [step.snapshot.version for step in script.steps if isinstance(step, Store)]
    assert stored == [1, 3]
    assert script.requests()[2].headers["If-None-Match"] == '"2"'  # it holds on from there
