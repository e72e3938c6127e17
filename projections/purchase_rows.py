"""Purchase days as rows beside the profiles: the input of the buyer trends and the cohorts, read by GROUP BY.

The profiles table keeps a customer's purchase days in one JSON column; reading it for
every customer made each trends query decode the whole base. These rows hold the same
facts flat. ``purchase_days`` has one row per customer and purchase day, with what a
period's buyer figures need precomputed as flags, so that each is a sum:
``opens_<p>`` marks the customer's first purchase day in its period (their buyer count),
``repeat_<p>`` their first purchase day in it other than their first purchase ever (a
repeat buyer), ``after_<p>`` their first purchase day in it when they bought in the
period before too (a buyer kept). It holds the day's net amount (every refund of the
day's purchases counted) when the day has one currency. ``purchase_amounts`` holds the
net amounts the days rows do not: days of several currencies, and refunds of purchases
not in the stream (counted on their own day). ``purchase_refunds`` holds every refund
with the day it was made, so that a figure as of an earlier day adds back the later ones.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text

from projections.metrics import Period, period_key

PERIODS: tuple[Period, ...] = ("day", "week", "month")
_COHORT = ("first_day", "first_week", "first_month")


def define_tables(metadata: MetaData, prefix: str) -> dict[str, Table]:
    """Define the purchase days, amounts and refunds tables with a generation prefix."""
    days = Table(
        f"{prefix}purchase_days",
        metadata,
        Column("customer", Text, primary_key=True),
        Column("day", Text, primary_key=True),
        Column("segment", Text),
        Column("week", Text, nullable=False),
        Column("month", Text, nullable=False),
        *(Column(name, Text, nullable=False) for name in _COHORT),
        Column("previous_day", Text),  # the customer's purchase day before this one
        Column("next_day", Text),  # and after it
        *(Column(f"{flag}_{by}", Integer, nullable=False) for flag in ("opens", "repeat", "after") for by in PERIODS),
        Column("orders", Integer, nullable=False),
        Column("currency", Text),  # None: purchases in several currencies that day (see purchase_amounts)
        Column("net", BigInteger),  # minor units of currency
    )
    # Monthly trends and cohorts (the report's) sum the flags in index order, reading the index alone:
    # no sort, no table. Weeks and days scan the table; each index costs every write.
    c = days.c
    Index(
        f"{prefix}purchase_days_by_month",
        c.month,
        c.day,
        c.currency,
        c.orders,
        c.opens_month,
        c.repeat_month,
        c.after_month,
        c.net,
    )
    Index(f"{prefix}purchase_days_cohorts", c.first_month, c.month, c.day, c.currency, c.opens_month, c.next_day, c.net)
    # The days in other currencies than the reporting one are converted per day: read only them.
    Index(f"{prefix}purchase_days_by_currency", c.currency, c.day, c.net)
    amounts = Table(
        f"{prefix}purchase_amounts",
        metadata,
        *_amount_columns(),
    )
    Index(f"{prefix}purchase_amounts_day", amounts.c.day)
    refunds = Table(
        f"{prefix}purchase_refunds",
        metadata,
        *_amount_columns(),
        Column("made_on", Text, primary_key=True),
    )
    Index(f"{prefix}purchase_refunds_made_on", refunds.c.made_on)
    return {"purchase_days": days, "purchase_amounts": amounts, "purchase_refunds": refunds}


def _amount_columns() -> list[Column[Any]]:
    return [
        Column("customer", Text, primary_key=True),
        Column("day", Text, primary_key=True),  # the purchase day the amount counts on
        Column("currency", Text, primary_key=True),
        Column("segment", Text),
        # None: a customer with no purchase (a refund of a purchase not in the stream)
        *(Column(name, Text) for name in _COHORT),
        Column("amount", BigInteger, nullable=False),  # minor units; net (amounts) or refunded (refunds)
    ]


def purchase_rows(customer: str, segment: str | None, days: list[list[Any]]) -> dict[str, list[dict[str, Any]]]:
    """Return the rows of a customer's profile purchase days (``[day, currency, paid, refunded, purchases, refunds]``)."""
    orders: dict[str, int] = {}
    currencies: dict[str, list[list[Any]]] = {}
    for entry in days:
        d = entry[0]
        same_day = currencies.get(d)
        if same_day is None:
            currencies[d] = [entry]
        else:
            same_day.append(entry)
        if entry[4]:
            orders[d] = orders.get(d, 0) + entry[4]
    bought = sorted(orders)
    first = bought[0] if bought else None
    cohort = (None, None, None) if first is None else (first, _calendar(first)[3], first[:7])
    found: dict[str, list[dict[str, Any]]] = {
        "purchase_days": _day_rows(customer, segment, cohort, bought, orders, currencies),
        "purchase_amounts": [],
        "purchase_refunds": [],
    }
    for d, entries in currencies.items():
        if d not in orders or len(entries) > 1:
            found["purchase_amounts"].extend(_amount_row(customer, segment, cohort, d, e[1], e[2] - e[3]) for e in entries)
        for e in entries:
            if not e[5]:
                continue
            made: dict[str, int] = {}
            for made_on, minor in e[5]:
                made[made_on] = made.get(made_on, 0) + minor
            for m, a in sorted(made.items()):
                row = _amount_row(customer, segment, cohort, d, e[1], a)
                row["made_on"] = m
                found["purchase_refunds"].append(row)
    return found


def _amount_row(
    customer: str, segment: str | None, cohort: tuple[str | None, ...], d: str, currency: str, amount: int
) -> dict[str, Any]:
    return {
        "customer": customer,
        "segment": segment,
        "first_day": cohort[0],
        "first_week": cohort[1],
        "first_month": cohort[2],
        "day": d,
        "currency": currency,
        "amount": amount,
    }


@lru_cache(maxsize=1 << 14)
def _calendar(day: str) -> tuple[int, int, int, str]:
    """Return a day's number, its week's and month's (consecutive periods differ by one), and its ISO week key.

    Cached: customers share their purchase days, and parsing each day per row was most of building the rows.
    """
    when = date.fromisoformat(day)
    number = when.toordinal()
    return number, (number - 1) // 7, when.year * 12 + when.month - 1, period_key(when, "week")  # 0001-01-01 is a Monday


def _day_rows(
    customer: str,
    segment: str | None,
    cohort: tuple[str | None, ...],
    bought: list[str],
    orders: dict[str, int],
    currencies: dict[str, list[list[Any]]],
) -> list[dict[str, Any]]:
    # Days are in order, so a period's days are adjacent: the first of them opens it. A repeat buyer's first
    # day in the period other than the first purchase ever is the period's first day, or its second when the
    # first was that very first purchase. A day is its own period: each opens it.
    found: list[dict[str, Any]] = []
    last = len(bought) - 1
    first_week = first_month = previous_day = previous_week = previous_month = 0
    for i, d in enumerate(bought):
        day_number, week_number, month_number, week_key = _calendar(d)
        if i:
            opens_week, opens_month = week_number != previous_week, month_number != previous_month
            repeat_week = opens_week or (i == 1 and first_week == week_number)
            repeat_month = opens_month or (i == 1 and first_month == month_number)
            after_day = previous_day == day_number - 1
            after_week = opens_week and previous_week == week_number - 1
            after_month = opens_month and previous_month == month_number - 1
        else:
            opens_week = opens_month = True
            repeat_week = repeat_month = after_day = after_week = after_month = False
            first_week, first_month = week_number, month_number
        entries = currencies[d]
        single = len(entries) == 1
        found.append(
            {
                "customer": customer,
                "segment": segment,
                "first_day": cohort[0],
                "first_week": cohort[1],
                "first_month": cohort[2],
                "day": d,
                "week": week_key,
                "month": d[:7],
                "previous_day": bought[i - 1] if i else None,
                "next_day": bought[i + 1] if i < last else None,
                "opens_day": 1,
                "opens_week": int(opens_week),
                "opens_month": int(opens_month),
                "repeat_day": int(i > 0),
                "repeat_week": int(repeat_week),
                "repeat_month": int(repeat_month),
                "after_day": int(after_day),
                "after_week": int(after_week),
                "after_month": int(after_month),
                "orders": orders[d],
                "currency": entries[0][1] if single else None,
                "net": entries[0][2] - entries[0][3] if single else None,
            }
        )
        previous_day, previous_week, previous_month = day_number, week_number, month_number
    return found
