"""Queries over answers and complaints: satisfaction trends and the complaints list with SLA outcomes.

They read the satisfaction and complaints tables as they stand (saying how far
behind the log they are), and replay the log for bounds or tables never built.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, literal_column, null, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ledger.config import LedgerConfig
from ledger.queries.read_models import read_models
from ledger.queries.view import View
from ledger.results import ComplaintSummary, QueryResult, TrendRow
from ledger.storage.store import EventStore
from projections import metrics, sla
from projections.complaints import complaint_rows
from projections.facts import iso, parse_iso, period_of
from projections.satisfaction import answer_rows

TIME_COLUMNS = ("occurred_at", "filed_at", "first_response_at", "resolved_at")


def _replayed(view: View, progress: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every answer and complaint as the view sees them, streaming the log one customer at a time."""
    for customer, seen in view.replay(progress=progress):
        for answer in answer_rows(customer, seen):
            yield "answer", answer
        for complaint in complaint_rows(customer, seen):
            yield "complaint", complaint


def trends(
    store: EventStore,
    config: LedgerConfig,
    f: metrics.TrendFilter,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    progress: bool = False,
) -> QueryResult[TrendRow]:
    """Return satisfaction and complaint figures per period (and channel or segment)."""
    view = View(store, config, as_of, known_at)
    behind = 0
    if not view.replays:
        with store.engine.connect() as connection, connection.begin():
            models = read_models(store, connection, ["satisfaction", "complaints"])
            if models.built:
                buckets = metrics.Buckets(f)
                _count_answers(connection, models.tables("satisfaction")["answers"], buckets)
                tables = models.tables("complaints")
                _count_complaints(connection, tables["complaints"], tables["resolutions"], buckets)
                return QueryResult(trend_rows(buckets), models.behind)
            behind = models.head
    return QueryResult(trend_rows(metrics.buckets_of(_replayed(view, progress), f)), behind)


def trend_rows(buckets: metrics.Buckets) -> list[TrendRow]:
    """Return one row per period (and split value) of the buckets, in order."""
    split = buckets.filter.split
    return [_trend_row(period, split, value, bucket) for (period, value), bucket in sorted(buckets.items())]


def _trend_row(period: str, split: str | None, value: str, b: metrics.Bucket) -> TrendRow:
    s = b.scores
    return TrendRow(
        period=period,
        nps=metrics.nps(s["nps"]),
        nps_answers=s["nps"].total(),
        csat=metrics.csat(s["csat"]),
        csat_answers=s["csat"].total(),
        ces=metrics.ces(s["ces"]),
        ces_answers=s["ces"].total(),
        expectation=b.expectation.value,
        perceived_quality=b.quality.value,
        perceived_value=b.value.value,
        quality_minus_expectation=b.quality_gap.value,
        complaints_filed=b.filed,
        complaints_resolved=b.resolved,
        median_first_response_hours=b.median_first_response_hours,
        median_resolution_hours=b.median_resolution_hours,
        channel=value if split == "channel" else None,
        segment=value if split == "segment" else None,
    )


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


def _where(f: metrics.TrendFilter, table: Table, time: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    """The filter's conditions on a table, its day range applying to one time column."""
    conditions = [] if f.start is None else [time >= f.start.isoformat()]
    if f.end is not None:
        conditions.append(time < (f.end + timedelta(days=1)).isoformat())
    if f.channel is not None:
        conditions.append(table.c.channel == f.channel)
    if f.segment is not None:
        conditions.append(table.c.segment == f.segment)
    return conditions


def _split(f: metrics.TrendFilter, table: Table) -> ColumnElement[Any]:
    return null() if f.split is None else table.c[f.split]


def _count_answers(connection: Connection, answers: Table, buckets: metrics.Buckets) -> None:
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
        .where(*_where(f, answers, c.occurred_at))
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


def _count_complaints(connection: Connection, complaints: Table, resolutions: Table, buckets: metrics.Buckets) -> None:
    """Add complaints filed per day and split value (GROUP BY), and each resolution with its times."""
    f, c = buckets.filter, complaints.c
    keys = _PeriodKeys(f.by)
    filed = select(_period(f.by, c.filed_at), _split(f, complaints), func.count()).where(*_where(f, complaints, c.filed_at))
    for period, split, count in connection.execute(filed.group_by(*_positions(f, 2))):
        buckets.of_period(keys[period], split).filed += count
    if f.split is None and f.by != "week":
        _add_median_times(connection, resolutions, buckets)
        return
    # Weeks are folded from days, and split values are not in the period indexes: every time is read.
    r = resolutions.c
    resolved = select(_period(f.by, r.resolved_at), _split(f, resolutions), r.response_micros, r.resolution_micros).where(
        *_where(f, resolutions, r.resolved_at)
    )
    for period, split, response, resolution in connection.execute(resolved):
        buckets.of_period(keys[period], split).add_resolved_micros(response, resolution)


def _add_median_times(connection: Connection, resolutions: Table, buckets: metrics.Buckets) -> None:
    """Count the resolutions per month or day, and read only the middle one or two of each time.

    The median is their mean. The period indexes hold each period's times in order, so
    the middle ones are read at an offset: a few rows per period, where reading every
    resolved complaint took a fifth of a second at a million events.
    """
    f, c = buckets.filter, resolutions.c
    period = _period(f.by, c.resolved_at)
    counted = select(period, func.count()).where(*_where(f, resolutions, c.resolved_at))
    counts = connection.execute(counted.group_by(*_positions(f, 1))).all()

    def middle(times: ColumnElement[int]) -> Any:
        return (
            select(times)
            .where(period == bindparam("period"), *_where(f, resolutions, c.resolved_at))
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


def complaints(
    store: EventStore,
    config: LedgerConfig,
    *,
    open_only: bool = False,
    overdue_only: bool = False,
    as_of: datetime | None = None,
    progress: bool = False,
) -> QueryResult[ComplaintSummary]:
    """Return complaints with age, times and SLA outcomes on the as-of moment (default now)."""
    view = View(store, config, as_of, None)
    found, behind = _complaints(view, progress)
    now = view.as_of or datetime.now(UTC)
    rows = [_summary(c, sla.evaluate(c, now, config.sla)) for c in found]
    rows = [r for r in rows if (not open_only or r.state == "open") and (not overdue_only or r.overdue)]
    return QueryResult(sorted(rows, key=lambda r: (r.filed_at, r.customer, r.complaint_id)), behind)


def _complaints(view: View, progress: bool) -> tuple[list[dict[str, Any]], int]:
    """Return the complaints (times parsed) from the table, or replayed, and how many events of the log they leave out."""
    behind = 0
    if not view.replays:
        with view.store.engine.connect() as connection, connection.begin():
            models = read_models(view.store, connection, ["complaints"])
            if models.built:
                rows = [dict(row._mapping) for row in connection.execute(select(models.tables("complaints")["complaints"]))]
                for row in rows:
                    for column in TIME_COLUMNS:
                        if column in row:
                            row[column] = parse_iso(row[column])
                return rows, models.behind
            behind = models.head
    return [item for kind, item in _replayed(view, progress) if kind == "complaint"], behind


def _summary(complaint: dict[str, Any], outcome: sla.SlaOutcome) -> ComplaintSummary:
    filed_at = iso(complaint["filed_at"])
    assert filed_at is not None  # every complaint was filed
    return ComplaintSummary(
        customer=complaint["customer"],
        complaint_id=complaint["complaint_id"],
        severity=complaint["severity"],
        channel=complaint["channel"],
        state=complaint["state"],
        filed_at=filed_at,
        age_hours=outcome.age_hours,
        first_response_hours=outcome.first_response_hours,
        resolution_hours=outcome.resolution_hours,
        response_met=outcome.response_met,
        resolution_met=outcome.resolution_met,
        reopened=complaint["reopened"],
        overdue=outcome.overdue,
    )
