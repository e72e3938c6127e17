"""Buyer figures per period and cohort tables from the purchase rows of the profiles projection, by GROUP BY.

The same figures as folding every customer's purchase days (``purchases``), read as sums
of the flags ``projections.purchase_rows`` precomputes. Money converts once per day and
currency (and split value, or cohort): the day's net amounts in a currency are summed
first, in SQL here and in the fold alike, so that both give the same figures to the minor
unit. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from projections.cohorts import Activity, Cohort, CohortPeriod, PeriodOf, next_period, period_index
from projections.metrics import TrendFilter, period_key
from projections.rates import Converter

Key = tuple[str, str]
# (split value or cohort, purchase day, currency) -> net amount in that currency's minor units
Raw = dict[tuple[Any, str, str], int]


def stored_activity(
    connection: Connection,
    tables: dict[str, Table],
    f: TrendFilter,
    on: date,
    convert: Converter,
    restricted: Collection[str],
) -> dict[Key, Activity]:
    """Return the buyer activity per (period key, split value) of the purchases in the filter's range, by the view's day."""
    days = tables["purchase_days"]
    c = days.c
    found: dict[Key, Activity] = {}
    split = [c.segment] if f.split == "segment" else []
    kept = c[f"after_{f.by}"] == 1
    if f.start is not None:
        kept = and_(kept, c.previous_day >= f.start.isoformat())
    if f.start is None or period_key(f.start, f.by) != period_key(f.start - timedelta(days=1), f.by):
        buyers: ColumnElement[Any] = func.sum(c[f"opens_{f.by}"])
        repeat: ColumnElement[Any] = func.sum(c[f"repeat_{f.by}"])
    else:  # a range starting inside a period: a customer's first day of it may be before the range
        buyers = func.count(func.distinct(c.customer))
        repeat = func.count(func.distinct(case((c.day != c.first_day, c.customer))))
    same = func.sum(case((c.currency == convert.target, c.net), else_=0))
    query = (
        select(c[f.by], *split, func.sum(c.orders), buyers, repeat, func.sum(case((kept, 1), else_=0)), same)
        .where(*_conditions(days, f, on, restricted))
        .group_by(c[f.by], *split)
    )
    retained: dict[Key, int] = {}
    for row in connection.execute(query):
        key = (row[0], split_value(f, row[1] if split else None))
        a = _at(found, key)
        a.orders, a.buyers, a.repeat_buyers, retained[key], a.revenue = (int(v or 0) for v in row[-5:])
        following = _at(found, (next_period(key[0], f.by), key[1]))
        following.previous_buyers += a.buyers
        following.lapsed += a.buyers
    for key, n in retained.items():
        found[key].lapsed -= n
    raw: Raw = {}
    for table, extra in _money_sources(tables, on, convert):
        t = table.c
        keys = [t.segment] if f.split == "segment" else []
        grouped = select(*keys, t.day, t.currency, func.sum(t[extra[0]])).where(*_conditions(table, f, on, restricted), *extra[1])
        for *value, day, currency, total in _driver_rows(connection, grouped.group_by(*keys, t.day, t.currency)):
            _add(raw, (split_value(f, value[0] if value else None), day, currency), int(total))
    add_trend_revenue(found, raw, f, convert)
    return found


def _money_sources(tables: dict[str, Table], on: date, convert: Converter) -> list[tuple[Table, tuple[str, list[Any]]]]:
    """The amounts to convert per day: days in another currency, the amounts table, refunds made after the view's day."""
    days, refunds = tables["purchase_days"], tables["purchase_refunds"]
    return [
        # Two ranges rather than "!=", which no index serves.
        (days, ("net", [or_(days.c.currency < convert.target, days.c.currency > convert.target)])),
        (tables["purchase_amounts"], ("amount", [])),
        (refunds, ("amount", [refunds.c.made_on > on.isoformat()])),
    ]


def split_value(f: TrendFilter, segment: str | None) -> str:
    """Return the split value buyer figures are keyed by: the segment ('-' for none) when split by it, else ''."""
    return str(segment or "-") if f.split == "segment" else ""


def _driver_rows(connection: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """Run a Core select as driver SQL, rows as plain tuples: Core's row processing was most of converting per day."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    if compiled.positiontup is not None:
        parameters: Any = tuple(compiled.params[name] for name in compiled.positiontup)
    else:
        parameters = compiled.params
    return [tuple(row) for row in connection.exec_driver_sql(str(compiled), parameters)]


def _at(found: dict[Key, Activity], key: Key) -> Activity:
    a = found.get(key)
    if a is None:
        a = found[key] = Activity()
    return a


def _add(raw: Raw, key: tuple[Any, str, str], amount: int) -> None:
    raw[key] = raw.get(key, 0) + amount


def add_trend_revenue(found: dict[Key, Activity], raw: Raw, f: TrendFilter, convert: Converter) -> None:
    """Add net amounts per (split value, day, currency), each converted with its day's rate, to their periods."""
    period_of = PeriodOf(f.by)
    for (value, day, currency), total in raw.items():
        if total:
            _at(found, (period_of(date.fromisoformat(day)), value)).revenue += convert.minor(total, currency, day)


def _conditions(table: Table, f: TrendFilter, on: date, restricted: Collection[str]) -> list[ColumnElement[bool]]:
    """Purchases by the view's day in the filter's range, of its segment, of no restricted customer."""
    c = table.c
    end = on if f.end is None else min(on, f.end)
    conditions = [c.day <= end.isoformat()]
    if f.start is not None:
        conditions.append(c.day >= f.start.isoformat())
    if f.segment is not None:
        conditions.append(c.segment == f.segment)
    if restricted:
        conditions.append(c.customer.not_in(sorted(restricted)))
    return conditions


def stored_cohorts(
    connection: Connection,
    tables: dict[str, Table],
    by: CohortPeriod,
    on: date,
    convert: Converter | None,
    restricted: Collection[str],
) -> tuple[dict[int, Cohort], int]:
    """Return the cohorts of the purchases by the view's day, and how many restricted buyers they leave out.

    With a converter, each cohort's net revenue per period too.
    """
    days = tables["purchase_days"]
    c, day = days.c, on.isoformat()
    everyone = TrendFilter(by="day")
    first, period = c[f"first_{by}"], c[by]
    mine = _conditions(days, everyone, on, restricted)
    cohorts: dict[int, Cohort] = {}
    index = _Indexes(by)
    active = select(first, period, func.sum(c[f"opens_{by}"])).where(*mine).group_by(first, period)
    for start, p, n in connection.execute(active):
        cohort = cohorts.setdefault(index[start], Cohort())
        k = index[p] - index[start]
        cohort.active[k] = int(n)
        if not k:
            cohort.size = int(n)
    last = and_(*mine, (c.next_day.is_(None)) | (c.next_day > day))
    for start, p, n in connection.execute(select(first, period, func.count()).where(last).group_by(first, period)):
        cohorts[index[start]].active_since[index[p] - index[start]] = n
    if convert is not None:
        until = period_index(on, by)
        same = select(first, period, func.sum(c.net)).where(*mine, c.currency == convert.target).group_by(first, period)
        for start, p, total in connection.execute(same):
            _add_revenue(cohorts, index[start], index[p] - index[start], int(total), until)
        raw: Raw = {}
        for table, extra in _money_sources(tables, on, convert):
            t = table.c
            # Grouped by period too, in the order of the cohorts index.
            keys = (t[f"first_{by}"], *((t[by],) if table is days else ()), t.day, t.currency)
            # Every purchase day has a first purchase day (the condition would defeat the covering index).
            buyers_only = [] if table is days else [t.first_day.is_not(None)]
            grouped = select(*keys, func.sum(t[extra[0]])).where(
                *_conditions(table, everyone, on, restricted), *buyers_only, *extra[1]
            )
            for start, *_, d, currency, total in _driver_rows(connection, grouped.group_by(*keys)):
                _add(raw, (index[start], d, currency), int(total))
        add_cohort_revenue(cohorts, raw, by, until, convert)
    left_out = 0
    if restricted:
        theirs = select(func.count(func.distinct(c.customer))).where(c.day <= day, c.customer.in_(sorted(restricted)))
        left_out = int(connection.execute(theirs).scalar_one())
    return cohorts, left_out


def add_cohort_revenue(cohorts: dict[int, Cohort], raw: Raw, by: CohortPeriod, until: int, convert: Converter) -> None:
    """Add net amounts per (cohort, day, currency), each converted with its day's rate, to the cohort's period."""
    periods: dict[str, int] = {}
    for (start, day, currency), total in raw.items():
        period = periods.get(day)
        if period is None:
            period = periods[day] = period_index(date.fromisoformat(day), by)
        _add_revenue(cohorts, start, period - start, convert.minor(total, currency, day), until)


def _add_revenue(cohorts: dict[int, Cohort], start: int, k: int, amount: int, until: int) -> None:
    cohort = cohorts.get(start)
    if cohort is not None and amount and 0 <= k <= until - start:
        cohort.revenue[k] = cohort.revenue.get(k, 0) + amount


def raw_amounts(entries: Iterable[tuple[Any, str, str, int]]) -> Raw:
    """Return (key, day, currency, amount) entries summed per key, day and currency."""
    raw: Raw = {}
    for key, day, currency, amount in entries:
        _add(raw, (key, day, currency), amount)
    return raw


class _Indexes(dict[str, int]):
    """Period numbers of period keys (2024-05, 2024-W18), computed once each."""

    def __init__(self, by: CohortPeriod):
        super().__init__()
        self.by = by

    def __missing__(self, key: str) -> int:
        if self.by == "month":
            found = int(key[:4]) * 12 + int(key[5:7]) - 1
        else:
            found = period_index(date.fromisocalendar(int(key[:4]), int(key[6:]), 1), "week")
        self[key] = found
        return found
