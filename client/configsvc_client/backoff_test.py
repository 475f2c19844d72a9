import pytest

from configsvc_client.backoff import Backoff


def test_waits_double_with_each_failure_up_to_30_seconds():
    longest = Backoff(uniform=lambda low, high: high)
    assert [longest.next_delay() for _ in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_the_jitter_keeps_each_wait_between_half_and_all_of_its_ceiling():
    backoff = Backoff()
    for failures in range(12):
        delay = backoff.next_delay()
        ceiling = min(30.0, 0.5 * 2**failures)
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(Backoff().next_delay(), 6) for _ in range(20)}) > 1  # clients do not retry in step


def test_a_success_starts_again_from_the_first_wait():
    backoff = Backoff(uniform=lambda low, high: high)
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 0.5


@pytest.mark.parametrize(("asked", "expected"), [(5.0, 5.0), (100.0, 30.0)])
def test_the_services_retry_after_is_honoured_within_the_cap(asked, expected):
    assert Backoff(uniform=lambda low, high: high).next_delay(at_least=asked) == expected


def test_many_failures_never_overflow():
    backoff = Backoff()
    backoff.failures = 10_000
    assert backoff.next_delay() <= 30.0
