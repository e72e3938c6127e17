"""Sampling error of the satisfaction figures: each with its sample size and 95% margin, and changes tested (pure).

NPS (-100..100) from promoter share p and detractor share d: variance per answer
100² (p + d - (p - d)²). CSAT (0..100) is a share: variance 100² p (1 - p). CES
is a mean: sample variance (n - 1 in the denominator). The standard error is
sqrt(variance / n) and the 95% margin 1.96 standard errors (normal approximation).
A change between two periods is significant when |difference| > 1.96 x
sqrt(se1² + se2²) (a two-sided z-test at 5% for independent samples), and is only
tested when both periods have at least the minimum sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import sqrt

from pydantic import BaseModel, ConfigDict, PositiveInt

from projections import metrics

Z95 = 1.959963984540054
DEFAULT_MIN_SAMPLE = 30


class SatisfactionSettings(BaseModel):
    """The ``[satisfaction]`` table: below min_sample answers a figure is flagged and changes are not tested."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_sample: PositiveInt = DEFAULT_MIN_SAMPLE


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure from n answers with its standard error (None when n < 2 for a mean)."""

    value: float
    n: int
    se: float | None

    @property
    def margin(self) -> float | None:
        """Return the 95% margin of error (half the confidence interval's width)."""
        return None if self.se is None else Z95 * self.se


def nps(counts: Mapping[int, int]) -> Estimate | None:
    """Return the NPS of answers per score (promoters 9-10 minus detractors 0-6, in %) with its standard error."""
    n, value = sum(counts.values()), metrics.nps(counts)
    if value is None:
        return None
    p = sum(k for score, k in counts.items() if score >= 9) / n
    d = sum(k for score, k in counts.items() if score <= 6) / n
    variance = 100**2 * (p + d - (p - d) ** 2)
    return Estimate(value, n, sqrt(max(variance, 0.0) / n))


def csat(counts: Mapping[int, int]) -> Estimate | None:
    """Return the CSAT of answers per score (share of 4-5, in %) with its standard error."""
    n, value = sum(counts.values()), metrics.csat(counts)
    if value is None:
        return None
    p = value / 100
    return Estimate(value, n, 100 * sqrt(max(p * (1 - p), 0.0) / n))


def ces(counts: Mapping[int, int]) -> Estimate | None:
    """Return the mean CES of answers per score with its standard error (None for a single answer)."""
    n, mean = sum(counts.values()), metrics.ces(counts)
    if mean is None:
        return None
    if n < 2:
        return Estimate(mean, n, None)
    variance = sum(k * (score - mean) ** 2 for score, k in counts.items()) / (n - 1)
    return Estimate(mean, n, sqrt(variance / n))


def small_sample(n: int, settings: SatisfactionSettings) -> bool:
    """Tell whether a figure rests on fewer answers than the minimum (an empty period has no figure to flag)."""
    return 0 < n < settings.min_sample


def significant_change(before: Estimate | None, after: Estimate | None, settings: SatisfactionSettings) -> bool | None:
    """Tell whether the change from one period's figure to the next is significant at 5%; None when not tested."""
    if before is None or after is None or before.n < settings.min_sample or after.n < settings.min_sample:
        return None
    if before.se is None or after.se is None:
        return None
    difference = abs(after.value - before.value)
    spread = sqrt(before.se**2 + after.se**2)
    return difference > 0 if spread == 0 else difference > Z95 * spread
