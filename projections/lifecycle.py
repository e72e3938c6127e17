"""Lifecycle stages and the at-risk flag: pure functions of purchase days, spend and a date.

Stages (wire names): potential, development, growth, maturity, termination.
The rules and their defaults are in the README ("Lifecycle rules") and in the
``[lifecycle]`` table of the configuration.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, pairwise
from math import floor

from ledger.config import LifecycleSettings

STAGES = ("potential", "development", "growth", "maturity", "termination")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A customer's stage on a date and the figures it was decided on (spend in base-currency minor units)."""

    stage: str
    at_risk: bool
    purchase_days: int
    gap_days: float | None
    recency_days: int | None
    tenure_days: int | None
    recent_spend: int
    earlier_spend: int


class PurchaseHistory:
    """A customer's sorted purchase days and daily net spend, indexed so that a stage on any date costs O(log n).

    A customer with a thousand purchase days has its history evaluated on thousands
    of candidate days: each evaluation bisects prefix sums and reads a precomputed
    median gap instead of rescanning the lists.
    """

    def __init__(self, days: list[date], spend: list[tuple[date, int]], rules: LifecycleSettings):
        self.days = days
        self.rules = rules
        ordered = sorted(spend)
        self.spend_days = [d for d, _ in ordered]
        self.spend_prefix = [0, *accumulate(v for _, v in ordered)]
        self.gaps = self._median_gaps()

    def _median_gaps(self) -> list[float]:
        """Return, for k = 0..n purchase days held, the gap the rules use (the median gap, or the default)."""
        default = float(self.rules.default_gap_days)
        found: list[float] = [default, default]  # with 0 or 1 purchase days there is no gap
        gaps: list[int] = []
        for k, (a, b) in enumerate(pairwise(self.days), start=2):
            insort(gaps, (b - a).days)
            m = len(gaps)
            found.append(default if k < self.rules.min_purchase_days_for_gap else (gaps[(m - 1) // 2] + gaps[m // 2]) / 2)
        return found

    def _spent(self, after: date, upto: date) -> int:
        """Return the net spend on days after one date, up to another (inclusive)."""
        return self.spend_prefix[bisect_right(self.spend_days, upto)] - self.spend_prefix[bisect_right(self.spend_days, after)]

    def evaluate(self, on: date) -> Lifecycle:
        """Return the stage on a date."""
        rules = self.rules
        window = timedelta(days=rules.spend_window_days)
        recent, earlier = self._spent(on - window, on), self._spent(on - 2 * window, on - window)
        n = bisect_right(self.days, on)
        if not n:
            return Lifecycle("potential", False, 0, None, None, None, recent, earlier)
        gap = self.gaps[n]
        recency, tenure = (on - self.days[n - 1]).days, (on - self.days[0]).days
        spend_kept = recent >= earlier * rules.spend_ratio
        if recency > max(rules.termination_gap_multiple * gap, rules.termination_min_days):
            stage = "termination"
        elif n == 1 or tenure < rules.development_tenure_days:
            stage = "development"
        elif n >= rules.maturity_min_purchase_days and tenure >= rules.maturity_tenure_days and spend_kept:
            stage = "maturity"
        else:
            stage = "growth"
        at_risk = stage != "termination" and (recency > rules.at_risk_gap_multiple * gap or not spend_kept)
        return Lifecycle(stage, at_risk, n, gap, recency, tenure, recent, earlier)

    def history(self, first_seen: date, on: date) -> list[tuple[date, str]]:
        """Return each stage entered up to a date, with the day it was entered (time passing included).

        The stage only changes on candidate days: a purchase or spend day, the days it
        leaves each spend window, the tenure thresholds, and the day after each
        recency threshold; evaluating those days alone is exact.
        """
        rules = self.rules
        window = timedelta(days=rules.spend_window_days)
        candidates = {first_seen}
        for d in {*self.days, *self.spend_days}:
            candidates.update((d, d + window, d + 2 * window))
        if self.days:
            first = self.days[0]
            candidates.update(first + timedelta(days=t) for t in (rules.development_tenure_days, rules.maturity_tenure_days))
        for i, d in enumerate(self.days):
            limit = max(rules.termination_gap_multiple * self.gaps[i + 1], rules.termination_min_days)
            candidates.add(d + timedelta(days=floor(limit) + 1))
        entered: list[tuple[date, str]] = []
        for day in sorted(c for c in candidates if first_seen <= c <= on):
            stage = self.evaluate(day).stage
            if not entered or entered[-1][1] != stage:
                entered.append((day, stage))
        return entered


def evaluate(days: list[date], spend: list[tuple[date, int]], on: date, rules: LifecycleSettings) -> Lifecycle:
    """Return the stage on a date, from the sorted purchase days and (day, net spend) pairs."""
    return PurchaseHistory(days, spend, rules).evaluate(on)


def history(
    days: list[date], spend: list[tuple[date, int]], first_seen: date, on: date, rules: LifecycleSettings
) -> list[tuple[date, str]]:
    """Return each stage entered up to a date, with the day it was entered (time passing included)."""
    return PurchaseHistory(days, spend, rules).history(first_seen, on)
