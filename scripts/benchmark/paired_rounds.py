"""Services measured in the same rounds, compared round by round: a round that is slow for every
service (the machine busy elsewhere) moves both sides of a ratio alike, so the ratio is taken per
round and then its median over the rounds."""

import statistics
from collections.abc import Sequence

from scripts.benchmark.tools import Measurement


def round_means(results: dict[str, list[Measurement]], names: Sequence[str], field: str) -> list[float]:
    """Per round, the mean of `field` over the services `names` (each measured once a round)."""
    rounds = zip(*(results[name] for name in names), strict=True)
    return [statistics.fmean(getattr(m, field) for m in measured) for measured in rounds]


def round_changes(changed: Sequence[float], reference: Sequence[float]) -> list[float]:
    """Per round, `changed` against `reference` in that round: changed / reference - 1."""
    return [value / base - 1 for value, base in zip(changed, reference, strict=True)]


def median_change(changed: Sequence[float], reference: Sequence[float]) -> float:
    """The median over rounds of the change against the reference in the same round."""
    return statistics.median(round_changes(changed, reference))


def median_spread(a: Sequence[float], b: Sequence[float]) -> float:
    """The median over rounds of |a / b - 1|: for two identical services, the noise floor of a change."""
    return statistics.median(abs(change) for change in round_changes(a, b))
