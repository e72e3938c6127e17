"""Every customer's purchase days as a replay of the log sees them, converted: cohorts and buyer trends under bounds.

The bounds the purchase rows of the profiles projection cannot answer (an as-of time
other than the end of a UTC day, known-at) or a projection never built replay the
log and fold each customer's days here (``buyers`` reads the rows). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date
from typing import Any

from ledger.queries.buyers import add_cohort_revenue, add_trend_revenue, raw_amounts, split_value
from ledger.queries.view import View
from projections import spend
from projections.cohorts import (
    Activity,
    Cohort,
    CohortPeriod,
    PeriodOf,
    PurchaseDay,
    activity,
    first_purchase,
    gather,
    period_index,
)
from projections.metrics import TrendFilter
from projections.profiles import build_record
from projections.rates import Converter


class PurchaseDays:
    """The purchase days of every customer of a replayed view but the restricted, and how many restricted it leaves out."""

    def __init__(
        self,
        view: View,
        *,
        restricted: Collection[str] = (),
        progress: bool = False,
        stored: list[tuple[str, str | None, list[list[Any]]]] | None = None,
        amounts: bool = True,
    ):
        """Replay the log when iterated; stored gives the (customer, segment, profile days) of a replay done already.

        Without amounts no money is gathered: retention needs none.
        """
        self.amounts = amounts
        self.view = view
        self.restricted = restricted
        self.left_out = 0
        # (segment, first purchase day, day, currency, net amount in that currency) of the customers yielded
        self.money: list[tuple[str | None, date | None, str, str, int]] = []
        self.progress = progress
        self.stored = stored

    def __iter__(self) -> Iterator[tuple[str | None, list[PurchaseDay]]]:
        """Yield (segment, [(day, purchases, 0)]) per customer; their net amounts go to ``money``, unconverted.

        Money converts once per day and currency over all customers (``buyers``), not per customer.
        """
        on = self.view.on.isoformat()
        dates: dict[str, date] = {}
        self.left_out, self.money = 0, []
        for customer, segment, days in self._days():
            found: list[PurchaseDay] = []
            money: list[tuple[str, str, int]] = []
            for entry in days:
                d = entry[0]
                if d > on:
                    break
                when = dates.get(d)
                if when is None:
                    when = dates[d] = date.fromisoformat(d)
                found.append((when, entry[4], 0))
                net = spend.net_on(entry, on) if self.amounts else 0
                if net:
                    money.append((d, entry[1], net))
            if not found:
                continue
            if customer in self.restricted:
                self.left_out += first_purchase(found) is not None
                continue
            first = first_purchase(found)
            self.money.extend((segment, first, d, currency, net) for d, currency, net in money)
            yield segment, _merged(found)

    def _days(self) -> Iterator[tuple[str, str | None, list[list[Any]]]]:
        if self.stored is not None:
            yield from self.stored
            return
        for customer, facts in self.view.replay(progress=self.progress):
            if facts:
                record = build_record(customer, facts)
                yield customer, record.segment, record.days


def _merged(days: list[PurchaseDay]) -> list[PurchaseDay]:
    """Return one entry per day (a day's currencies are adjacent entries), in order."""
    merged: list[PurchaseDay] = []
    for d, purchases, net in days:
        if merged and merged[-1][0] == d:
            _, p, n = merged[-1]
            merged[-1] = (d, p + purchases, n + net)
        else:
            merged.append((d, purchases, net))
    return merged


def buyer_activity(days: PurchaseDays, f: TrendFilter, convert: Converter) -> dict[tuple[str, str], Activity]:
    """Return the buyer activity per period and segment (when split by it) of the days in the filter's range.

    Purchases have no survey or complaint channel: a channel filter leaves them whole.
    """
    start, end = f.start or date.min, f.end or date.max

    def customers() -> Iterator[tuple[str, date | None, list[PurchaseDay]]]:
        for segment, found in days:
            if f.segment is not None and segment != f.segment:
                continue
            kept = [entry for entry in found if start <= entry[0] <= end]
            if kept:
                yield split_value(f, segment), first_purchase(found), kept

    found = activity(customers(), PeriodOf(f.by))
    low, high = start.isoformat(), end.isoformat()
    money = days.money
    kept = ((split_value(f, s), d, c, n) for s, _, d, c, n in money if low <= d <= high and f.segment in (None, s))
    add_trend_revenue(found, raw_amounts(kept), f, convert)
    return found


def cohorts_of(days: PurchaseDays, by: CohortPeriod, until: int, convert: Converter | None) -> dict[int, Cohort]:
    """Return the cohorts of the customers' days, with their net revenue when a converter is given."""
    cohorts = gather((d for _, d in days), by, until)
    if convert is not None:
        money = ((period_index(first, by), d, c, n) for _, first, d, c, n in days.money if first is not None)
        add_cohort_revenue(cohorts, raw_amounts(money), by, until, convert)
    return cohorts
