import pytest

from scripts.benchmark.paired_rounds import median_change, median_spread, round_changes, round_means
from scripts.benchmark.tools import Measurement


def test_round_means_average_the_services_within_each_round_not_across_rounds():
    results = {
        "a": [Measurement(100, 1, 2, 0, 10.0), Measurement(300, 1, 2, 0, 30.0)],
        "b": [Measurement(200, 1, 2, 0, 20.0), Measurement(500, 1, 2, 0, 50.0)],
        "other": [Measurement(9999, 1, 2, 0, 999.0), Measurement(9999, 1, 2, 0, 999.0)],
    }

    assert round_means(results, ["a", "b"], "requests_per_second") == [150, 400]
    assert round_means(results, ["a", "b"], "worker_cpu_us") == [15, 40]
    assert round_means(results, ["b"], "requests_per_second") == [200, 500]


def test_round_means_refuse_services_measured_in_different_numbers_of_rounds():
    results = {"a": [Measurement(100, 1, 2, 0)], "b": [Measurement(100, 1, 2, 0), Measurement(100, 1, 2, 0)]}

    with pytest.raises(ValueError, match="zip"):
        round_means(results, ["a", "b"], "requests_per_second")


def test_a_change_is_taken_within_each_round_and_its_median_over_the_rounds():
    changed = [97, 198, 330]
    reference = [100, 200, 300]

    assert round_changes(changed, reference) == pytest.approx([-0.03, -0.01, 0.10])
    assert median_change(changed, reference) == pytest.approx(-0.01)


def test_a_per_round_median_is_not_the_ratio_of_the_medians():
    # A slow round (the second) moves both sides alike: per round metrics on cost 2% each time,
    # while the ratio of the medians (300 / 200 - 1) would say +50%.
    changed = [98, 294, 490]
    reference = [100, 300, 500]

    assert median_change(changed, reference) == pytest.approx(-0.02)


def test_the_spread_of_two_identical_services_ignores_which_one_was_faster():
    a = [101, 196, 306, 400]
    b = [100, 200, 300, 400]

    # |+1%|, |-2%|, |+2%|, 0: the median of the absolute differences, not of the signed ones (+0.5%).
    assert median_spread(a, b) == pytest.approx(0.015)
    assert median_spread(b, b) == 0
