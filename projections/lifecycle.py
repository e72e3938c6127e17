"""Lifecycle stages and the churn-risk flag: pure functions of purchase days, spend and a date.

Stages (wire names): potential, development, growth, maturity, termination.
The rules and their defaults are in the README ("Lifecycle rules") and in the
``[lifecycle]`` table of the configuration.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate, pairwise
from math import floor

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

STAGES = ("potential", "development", "growth", "maturity", "termination")


class LifecycleSettings(BaseModel):
    """The ``[lifecycle]`` table: the rules of the customer life cycle stages (README, "Projections")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_gap_days: PositiveInt = 90
    min_purchase_days_for_gap: PositiveInt = 3
    termination_gap_multiple: PositiveInt = 3
    termination_min_days: PositiveInt = 365
    churn_risk_gap_multiple: PositiveInt = 2
    development_tenure_days: PositiveInt = 90
    maturity_min_purchase_days: PositiveInt = 4
    maturity_tenure_days: PositiveInt = 365
    spend_window_days: PositiveInt = 180
    spend_ratio: Decimal = Field(default=Decimal("0.85"), ge=0)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A customer's stage on a date and the figures it was decided on (spend in base-currency minor units)."""

    stage: str
    churn_risk: bool
    purchase_days: int
    gap_days: float | None
    recency_days: int | None
    tenure_days: int | None
    recent_spend: int
    earlier_spend: int


class PurchaseHistory:
    """A customer's sorted purchase days and daily net spend, indexed so that a stage on any date costs O(log n).

    A customer with a thousand purchase days has its history evaluated on thousands
    of candidate days: the evaluation sweeps them in order over prefix sums and a
    precomputed median gap instead of rescanning the lists. Days are held as ordinals:
    integer arithmetic is much cheaper than a timedelta per comparison.
    """

    def __init__(
        self,
        days: list[date],
        spend: list[tuple[date, int]],
        rules: LifecycleSettings,
        refunds: list[tuple[date, date, int]] | None = None,
    ):
        """Index purchase days and net spend per day (every refund made, on its order's day).

        refunds lists (purchase day, refund day, amount): on a day before a refund was
        made, its amount is added back to the window its purchase fell in.
        """
        self.rules = rules
        self.refunds = [(p.toordinal(), r.toordinal(), amount) for p, r, amount in refunds or ()]
        self.days = [d.toordinal() for d in days]
        ordered = sorted(spend)
        self.spend_days = [d.toordinal() for d, _ in ordered]
        self.spend_prefix = [0, *accumulate(v for _, v in ordered)]
        self.gaps = self._median_gaps()
        # With k purchase days held, more days than this since the last one mean termination.
        self.termination_after = [max(rules.termination_gap_multiple * g, rules.termination_min_days) for g in self.gaps]
        # The spend ratio as a fraction of integers: "kept" is decided exactly, without Decimal arithmetic per day.
        ratio = Fraction(rules.spend_ratio)
        self._ratio = ratio.numerator, ratio.denominator

    def _median_gaps(self) -> list[float]:
        """Return, for k = 0..n purchase days held, the gap the rules use (the median gap, or the default)."""
        default = float(self.rules.default_gap_days)
        found: list[float] = [default, default]  # with 0 or 1 purchase days there is no gap
        gaps: list[int] = []
        for k, (a, b) in enumerate(pairwise(self.days), start=2):
            insort(gaps, b - a)
            m = len(gaps)
            found.append(default if k < self.rules.min_purchase_days_for_gap else (gaps[(m - 1) // 2] + gaps[m // 2]) / 2)
        return found

    def _window_spend(self, on: int) -> tuple[int, int]:
        """Return the net spend of the spend window ending on a day, and of the window before it."""
        days, prefix, window = self.spend_days, self.spend_prefix, self.rules.spend_window_days
        middle = prefix[bisect_right(days, on - window)]
        recent, earlier = prefix[bisect_right(days, on)] - middle, middle - prefix[bisect_right(days, on - 2 * window)]
        return self._unmade(on, recent, earlier) if self.refunds else (recent, earlier)

    def _unmade(self, on: int, recent: int, earlier: int) -> tuple[int, int]:
        """Add back, to the windows their purchases fell in, the refunds not yet made on a day."""
        window = self.rules.spend_window_days
        for bought, made, amount in self.refunds:
            if made > on:
                if on - window < bought <= on:
                    recent += amount
                elif on - 2 * window < bought <= on - window:
                    earlier += amount
        return recent, earlier

    def _spend_kept(self, recent: int, earlier: int) -> bool:
        """Tell whether the recent window's spend kept up with the earlier window's (the spend ratio)."""
        numerator, denominator = self._ratio
        return recent * denominator >= earlier * numerator

    def _stage(self, on: int) -> str:
        """Return the stage alone on a day."""
        return self._stages([on])[0]

    def _stages(self, ordered: list[int]) -> list[str]:
        """Return the stage alone on each of these days (ascending).

        One sweep: the counts of purchase days and of spend days up to each window's
        bound only grow with the day, so each moves on from where it was instead of
        bisecting again (a history evaluates a thousand days of a heavy customer). The
        spend windows are summed only when the maturity rule asks.
        """
        rules, days, spend_days, prefix = self.rules, self.days, self.spend_days, self.spend_prefix
        if not ordered:
            return []
        window = rules.spend_window_days
        development, young, few = rules.development_tenure_days, rules.maturity_tenure_days, rules.maturity_min_purchase_days
        first, held, spent = ordered[0], len(days), len(spend_days)
        n = bisect_right(days, first)
        upto, upto_recent, upto_earlier = (bisect_right(spend_days, first - k * window) for k in (0, 1, 2))
        stages: list[str] = []
        for on in ordered:
            while n < held and days[n] <= on:
                n += 1
            if not n:
                stages.append("potential")
                continue
            if on - days[n - 1] > self.termination_after[n]:
                stages.append("termination")
                continue
            tenure = on - days[0]
            if n == 1 or tenure < development:
                stages.append("development")
                continue
            if n < few or tenure < young:
                stages.append("growth")
                continue
            while upto < spent and spend_days[upto] <= on:
                upto += 1
            while upto_recent < spent and spend_days[upto_recent] <= on - window:
                upto_recent += 1
            while upto_earlier < spent and spend_days[upto_earlier] <= on - 2 * window:
                upto_earlier += 1
            recent, earlier = prefix[upto] - prefix[upto_recent], prefix[upto_recent] - prefix[upto_earlier]
            if self.refunds:
                recent, earlier = self._unmade(on, recent, earlier)
            stages.append("maturity" if self._spend_kept(recent, earlier) else "growth")
        return stages

    def evaluate(self, on: date) -> Lifecycle:
        """Return the stage on a date, with the figures it was decided on and the churn-risk flag."""
        day = on.toordinal()
        stage = self._stage(day)
        recent, earlier = self._window_spend(day)
        n = bisect_right(self.days, day)
        if not n:
            return Lifecycle(stage, False, 0, None, None, None, recent, earlier)
        gap = self.gaps[n]
        recency, tenure = day - self.days[n - 1], day - self.days[0]
        slowing = recency > self.rules.churn_risk_gap_multiple * gap or not self._spend_kept(recent, earlier)
        return Lifecycle(stage, stage != "termination" and slowing, n, gap, recency, tenure, recent, earlier)

    def history(self, first_seen: date, on: date) -> list[tuple[date, str]]:
        """Return each stage entered up to a date, with the day it was entered (time passing included).

        The stage only changes on candidate days: a purchase or spend day, the days it
        leaves each spend window, the tenure thresholds, and the day after each
        recency threshold; evaluating those days alone is exact.
        """
        rules, window = self.rules, self.rules.spend_window_days
        first, last = first_seen.toordinal(), on.toordinal()
        candidates = {first}
        for d in {*self.days, *self.spend_days, *(made for _, made, _ in self.refunds)}:
            candidates.update((d, d + window, d + 2 * window))
        if self.days:
            candidates.update(self.days[0] + t for t in (rules.development_tenure_days, rules.maturity_tenure_days))
        # gaps[k] is the gap with k purchase days held; it has an entry for no day held too.
        for d, after in zip(self.days, self.termination_after[1:], strict=False):
            candidates.add(d + floor(after) + 1)
        entered: list[tuple[int, str]] = []
        ordered = sorted(c for c in candidates if first <= c <= last)
        for day, stage in zip(ordered, self._stages(ordered), strict=True):
            if not entered or entered[-1][1] != stage:
                entered.append((day, stage))
        return [(date.fromordinal(day), stage) for day, stage in entered]
