"""The satisfaction and complaint figures of the trends, counted per period by the database (GROUP BY).

Every count leaves out the rows of restricted customers. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, literal_column, null, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from projections import metrics
from projections.facts import period_of


def count_buckets(
    connection: Connection, tables: dict[str, Table], buckets: metrics.Buckets, restricted: Collection[str]
) -> None:
    """Add the answers, surveys sent and complaints of the satisfaction and complaints tables to the buckets."""
    _count_answers(connection, tables["answers"], buckets, restricted)
    _count_sent(connection, tables["sent"], buckets, restricted)
    _count_complaints(connection, tables["complaints"], tables["resolutions"], buckets, restricted)


def _period(by: metrics.Period, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The period of a stored time (fixed-width UTC text) in SQL: its month or day; ISO weeks are folded from days.

    With literal numbers, so that the expression matches the read models' period indexes (see ``period_of``).
    """
    return period_of(column, "month" if by == "month" else "day")


class _PeriodKeys(dict[str, str]):
    """Period keys of the periods SQL returns: itself for months and days, the ISO week of a day (computed once)."""

    def __init__(self, by: metrics.Period):
        super().__init__()
        self.by = by

    def __missing__(self, text: str) -> str:
        key = text if self.by != "week" else metrics.period_key(date.fromisoformat(text), "week")
        self[text] = key
        return key


def _where(
    f: metrics.TrendFilter, table: Table, time: ColumnElement[Any], restricted: Collection[str]
) -> list[ColumnElement[bool]]:
    """The filter's conditions on a table, its day range applying to one time column; no restricted customer's rows."""
    conditions = [] if f.start is None else [time >= f.start.isoformat()]
    if restricted:
        conditions.append(table.c.customer.not_in(sorted(restricted)))
    if f.end is not None:
        conditions.append(time < (f.end + timedelta(days=1)).isoformat())
    if f.channel is not None:
        conditions.append(table.c.channel == f.channel)
    if f.segment is not None:
        conditions.append(table.c.segment == f.segment)
    return conditions


def _split(f: metrics.TrendFilter, table: Table) -> ColumnElement[Any]:
    return null() if f.split is None else table.c[f.split]


def _count_answers(connection: Connection, answers: Table, buckets: metrics.Buckets, restricted: Collection[str]) -> None:
    """Add the answers per day, split value, kind and score, with the sums behind the means (one GROUP BY in SQL)."""
    f, c = buckets.filter, answers.c
    gap = c.perceived_quality - c.expectation
    query = (
        select(
            _period(f.by, c.occurred_at),
            _split(f, answers),
            c.kind,
            c.score,
            func.count(),
            *(part for column in (c.expectation, c.perceived_quality, c.perceived_value, gap) for part in _sum_count(column)),
        )
        .where(*_where(f, answers, c.occurred_at, restricted))
        .group_by(*_positions(f, 4))
    )
    keys = _PeriodKeys(f.by)
    for period, split, kind, score, answered, e, en, q, qn, v, vn, g, gn in connection.execute(query):
        b = buckets.of_period(keys[period], split)
        b.scores[kind][score] += answered
        b.expectation.add(e, en)
        b.quality.add(q, qn)
        b.value.add(v, vn)
        b.quality_gap.add(g, gn)


def _sum_count(column: ColumnElement[Any]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    return func.sum(column), func.count(column)


def _positions(f: metrics.TrendFilter, n: int) -> list[ColumnElement[Any]]:
    """GROUP BY the first n selected columns, by position, but the second (``_split``) when it is NULL.

    Grouping by that constant too made SQLite sort every row rather than read the period index in order.
    """
    return [literal_column(str(i)) for i in range(1, n + 1) if i != 2 or f.split is not None]


def _count_sent(connection: Connection, sent: Table, buckets: metrics.Buckets, restricted: Collection[str]) -> None:
    """Add the surveys sent per day (or month) and split value, and how many of them were answered."""
    f, c = buckets.filter, sent.c
    query = select(_period(f.by, c.sent_at), _split(f, sent), func.count(), func.sum(c.answered)).where(
        *_where(f, sent, c.sent_at, restricted)
    )
    keys = _PeriodKeys(f.by)
    for period, split, count, answered in connection.execute(query.group_by(*_positions(f, 2))):
        b = buckets.of_period(keys[period], split)
        b.sent += count
        b.responded += answered or 0


def _count_complaints(
    connection: Connection, complaints: Table, resolutions: Table, buckets: metrics.Buckets, restricted: Collection[str]
) -> None:
    """Add complaints filed per day and split value (GROUP BY), and each resolution with its times."""
    f, c = buckets.filter, complaints.c
    keys = _PeriodKeys(f.by)
    filed = select(_period(f.by, c.filed_at), _split(f, complaints), func.count()).where(
        *_where(f, complaints, c.filed_at, restricted)
    )
    for period, split, count in connection.execute(filed.group_by(*_positions(f, 2))):
        buckets.of_period(keys[period], split).filed += count
    if f.split is None and f.by != "week":
        _add_median_times(connection, resolutions, buckets, restricted)
        return
    # Weeks are folded from days, and split values are not in the period indexes: every time is read.
    r = resolutions.c
    resolved = select(_period(f.by, r.resolved_at), _split(f, resolutions), r.response_micros, r.resolution_micros).where(
        *_where(f, resolutions, r.resolved_at, restricted)
    )
    for period, split, response, resolution in connection.execute(resolved):
        buckets.of_period(keys[period], split).add_resolved_micros(response, resolution)


def _add_median_times(connection: Connection, resolutions: Table, buckets: metrics.Buckets, restricted: Collection[str]) -> None:
    """Count the resolutions per month or day, and read only the middle one or two of each time.

    The median is their mean. The period indexes hold each period's times in order, so
    the middle ones are read at an offset: a few rows per period, where reading every
    resolved complaint took a fifth of a second at a million events.
    """
    f, c = buckets.filter, resolutions.c
    period = _period(f.by, c.resolved_at)
    counted = select(period, func.count()).where(*_where(f, resolutions, c.resolved_at, restricted))
    counts = connection.execute(counted.group_by(*_positions(f, 1))).all()

    def middle(times: ColumnElement[int]) -> Any:
        return (
            select(times)
            .where(period == bindparam("period"), *_where(f, resolutions, c.resolved_at, restricted))
            .order_by(times)
            .limit(bindparam("middle"))
            .offset(bindparam("before"))
        )

    response, resolution = middle(c.response_micros), middle(c.resolution_micros)
    for period_text, count in counts:
        bucket = buckets.of_period(period_text, None)
        bucket.resolved = count
        at = {"period": period_text, "middle": 2 - count % 2, "before": (count - 1) // 2}
        bucket.response_micros.extend(connection.execute(response, at).scalars())
        bucket.resolution_micros.extend(connection.execute(resolution, at).scalars())
