"""Cohorts and buyer activity per period, from each customer's purchase days (pure).

A customer's input is a list of (UTC day, purchases that day, net amount that day in
the reporting currency's minor units), the amount being the day's purchases minus the
refunds of those purchases made by the as-of day. A customer belongs to the cohort of
the period of their first purchase day; period k of a cohort is k periods after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from projections.metrics import Period, period_key

CohortPeriod = Literal["month", "week"]
Metric = Literal["retention", "revenue"]
Convention = Literal["n_period", "unbounded"]
COHORT_PERIODS: tuple[CohortPeriod, ...] = ("month", "week")
METRICS: tuple[Metric, ...] = ("retention", "revenue")
CONVENTIONS: tuple[Convention, ...] = ("n_period", "unbounded")
PurchaseDay = tuple[date, int, int]
_MONDAY_ZERO = date(1, 1, 1)  # a Monday: week indexes count whole weeks from it


def period_index(day: date, by: CohortPeriod) -> int:
    """Return a running number of the period a day falls in (months, or ISO weeks from Monday)."""
    if by == "month":
        return day.year * 12 + day.month - 1
    return (day - _MONDAY_ZERO).days // 7


def period_label(index: int, by: CohortPeriod) -> str:
    """Return the name of a period number: 2024-05, or the ISO week 2024-W18."""
    if by == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    year, week, _ = (_MONDAY_ZERO + timedelta(weeks=index)).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(slots=True)
class Cohort:
    """The customers acquired in one period: how many, who was active and the net revenue in each later period."""

    size: int = 0
    active: dict[int, int] = field(default_factory=dict)  # k -> customers with a purchase in period k
    active_since: dict[int, int] = field(default_factory=dict)  # k -> customers whose last active period is k
    revenue: dict[int, int] = field(default_factory=dict)  # k -> net revenue in period k (minor units)


@dataclass(frozen=True, slots=True)
class Triangle:
    """A cohort table: one row per cohort with a value per period reached; the overall row over cohorts old enough."""

    rows: list[tuple[str, int, list[float | int | None]]]
    # Per period k: (active customers or revenue, customers) summed over the cohorts that reached k.
    overall: list[tuple[int, int]]


def first_purchase(days: list[PurchaseDay]) -> date | None:
    """Return the first day with a purchase, None without one."""
    return next((d for d, purchases, _ in days if purchases), None)


def gather(customers: Iterable[list[PurchaseDay]], by: CohortPeriod, until: int) -> dict[int, Cohort]:
    """Return the cohorts of customers' purchase days, up to period number until (later days are left out)."""
    cohorts: dict[int, Cohort] = {}
    periods: dict[date, int] = {}

    def index(day: date) -> int:
        found = periods.get(day)
        if found is None:
            found = periods[day] = period_index(day, by)
        return found

    for days in customers:
        bought = sorted({index(d) for d, purchases, _ in days if purchases})
        if not bought or bought[0] > until:
            continue
        first = bought[0]
        cohort = cohorts.get(first)
        if cohort is None:
            cohort = cohorts[first] = Cohort()
        cohort.size += 1
        last = first
        for p in bought:
            if p <= until:
                cohort.active[p - first] = cohort.active.get(p - first, 0) + 1
                last = p
        cohort.active_since[last - first] = cohort.active_since.get(last - first, 0) + 1
        for d, _, net in days:
            if not net:
                continue
            k = index(d) - first
            if 0 <= k <= until - first:
                cohort.revenue[k] = cohort.revenue.get(k, 0) + net
    return cohorts


def triangle(cohorts: dict[int, Cohort], by: CohortPeriod, until: int, metric: Metric, convention: Convention) -> Triangle:
    """Return the table of a metric under a convention, with None where a cohort has not reached period k.

    Retention is a share of the cohort: active in exactly period k (n_period) or in
    period k or any later one (unbounded). Revenue is the cohort's net revenue in
    period k (n_period) or in periods 0..k (unbounded: the running total), in minor units.
    The overall row weighs cohorts by size and counts, for period k, only the cohorts
    that have reached it: active (or revenue) summed over them / their sizes summed.
    """
    if not cohorts:
        return Triangle([], [])
    width = until - min(cohorts) + 1
    rows: list[tuple[str, int, list[float | int | None]]] = []
    numerators, sizes = [0] * width, [0] * width
    for start in sorted(cohorts):
        c = cohorts[start]
        reached = until - start + 1
        counts = [_count(c, k, metric, convention) for k in range(reached)]
        for k, counted in enumerate(counts):
            numerators[k] += counted
            sizes[k] += c.size
        values: list[float | int | None] = [n / c.size if metric == "retention" else n for n in counts]
        rows.append((period_label(start, by), c.size, values + [None] * (width - reached)))
    return Triangle(rows, list(zip(numerators, sizes, strict=True)))


def _count(c: Cohort, k: int, metric: Metric, convention: Convention) -> int:
    if metric == "revenue":
        return c.revenue.get(k, 0) if convention == "n_period" else sum(v for j, v in c.revenue.items() if j <= k)
    if convention == "n_period":
        return c.active.get(k, 0)
    return sum(n for j, n in c.active_since.items() if j >= k)


@dataclass(slots=True)
class Activity:
    """Buyers of one period: orders, net revenue, how many bought, how many had bought before, who bought last period."""

    orders: int = 0
    revenue: int = 0
    buyers: int = 0
    repeat_buyers: int = 0
    previous_buyers: int = 0  # buyers of the period before
    lapsed: int = 0  # of those, the ones with no purchase in this period


def activity(
    customers: Iterable[tuple[str, date | None, list[PurchaseDay]]], period_of: PeriodOf
) -> dict[tuple[str, str], Activity]:
    """Return buyer activity per (period key, split value) of (split value, first purchase day, days) of customers.

    A repeat buyer of a period bought in it on a day other than their first purchase
    day. The churn of a period: of the buyers of the period before, the share with no
    purchase in it (1 minus period-to-period buyer retention).
    """
    found: dict[tuple[str, str], Activity] = {}

    def at(key: tuple[str, str]) -> Activity:
        a = found.get(key)
        if a is None:
            a = found[key] = Activity()
        return a

    for split, first, days in customers:
        periods: dict[str, bool] = {}  # period -> a purchase on a day after the first
        for d, purchases, net in days:
            a = at((period_of(d), split))
            a.orders += purchases
            a.revenue += net
            if purchases:
                key = period_of(d)
                periods[key] = periods.get(key, False) or d != first
        for key, repeat in periods.items():
            a = at((key, split))
            a.buyers += 1
            a.repeat_buyers += repeat
            following = at((next_period(key, period_of.by), split))
            following.previous_buyers += 1
            if next_period(key, period_of.by) not in periods:
                following.lapsed += 1
    return found


class PeriodOf:
    """The period key of a day (2024-05, 2024-W18, 2024-05-01), computed once per day."""

    def __init__(self, by: Period):
        self.by = by
        self.keys: dict[date, str] = {}

    def __call__(self, day: date) -> str:
        key = self.keys.get(day)
        if key is None:
            key = self.keys[day] = period_key(day, self.by)
        return key


def next_period(key: str, by: str) -> str:
    """Return the key of the period after a period key."""
    return shift_period(key, by, 1)


def shift_period(key: str, by: str, steps: int) -> str:
    """Return the key of the period steps after (or before, when negative) a period key."""
    if by == "day":
        return (date.fromisoformat(key) + timedelta(days=steps)).isoformat()
    if by == "week":
        return period_key(date.fromisocalendar(int(key[:4]), int(key[6:]), 1) + timedelta(weeks=steps), "week")
    index = int(key[:4]) * 12 + int(key[5:7]) - 1 + steps
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
