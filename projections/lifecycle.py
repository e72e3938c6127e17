"""Lifecycle stages and the at-risk flag: pure functions of purchase days, spend and a date.

Stages (wire names): potential, development, growth, maturity, termination.
The rules and their defaults are in the README ("Lifecycle rules") and in the
``[lifecycle]`` table of the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from math import floor
from statistics import median

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


def gap_of(days: list[date], rules: LifecycleSettings) -> float:
    """Return the median gap between purchase days, or the default gap when there are too few."""
    if len(days) < rules.min_purchase_days_for_gap:
        return float(rules.default_gap_days)
    return float(median((b - a).days for a, b in pairwise(days)))


def evaluate(days: list[date], spend: list[tuple[date, int]], on: date, rules: LifecycleSettings) -> Lifecycle:
    """Return the stage on a date, from the sorted purchase days and (day, net spend) pairs."""
    window = timedelta(days=rules.spend_window_days)
    recent = sum(v for d, v in spend if on - window < d <= on)
    earlier = sum(v for d, v in spend if on - 2 * window < d <= on - window)
    held = [d for d in days if d <= on]
    if not held:
        return Lifecycle("potential", False, 0, None, None, None, recent, earlier)
    n, gap = len(held), gap_of(held, rules)
    recency, tenure = (on - held[-1]).days, (on - held[0]).days
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


def history(
    days: list[date], spend: list[tuple[date, int]], first_seen: date, on: date, rules: LifecycleSettings
) -> list[tuple[date, str]]:
    """Return each stage entered up to a date, with the day it was entered (time passing included).

    The stage only changes on candidate days: a purchase or spend day, the days it
    leaves each spend window, the tenure thresholds, and the day after each
    recency threshold; evaluating those days alone is exact.
    """
    window = timedelta(days=rules.spend_window_days)
    candidates = {first_seen}
    for d in {*days, *(d for d, _ in spend)}:
        candidates.update((d, d + window, d + 2 * window))
    if days:
        candidates.update(days[0] + timedelta(days=t) for t in (rules.development_tenure_days, rules.maturity_tenure_days))
    for i, d in enumerate(days):
        gap = gap_of(days[: i + 1], rules)
        limit = max(rules.termination_gap_multiple * gap, rules.termination_min_days)
        candidates.add(d + timedelta(days=floor(limit) + 1))
    entered: list[tuple[date, str]] = []
    for day in sorted(c for c in candidates if first_seen <= c <= on):
        stage = evaluate(days, spend, day, rules).stage
        if not entered or entered[-1][1] != stage:
            entered.append((day, stage))
    return entered
