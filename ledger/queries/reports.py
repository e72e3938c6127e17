"""Queries over answers and complaints: satisfaction trends and the complaints list with SLA outcomes.

They read the satisfaction and complaints tables as they stand (saying how far
behind the log they are), and replay the log for bounds or tables never built.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ledger.config import LedgerConfig
from ledger.privacy import states as privacy_states
from ledger.queries.buyers import stored_activity
from ledger.queries.position_memo import remembered
from ledger.queries.purchases import PurchaseDays, buyer_activity
from ledger.queries.read_models import read_models
from ledger.queries.segments import check_segment
from ledger.queries.trend_counts import count_buckets
from ledger.queries.trend_rows import trend_rows
from ledger.queries.view import View
from ledger.results import ComplaintSummary, QueryResult, TrendRow
from ledger.storage.store import EventStore
from projections import metrics, sla
from projections.cohorts import Activity
from projections.complaints import complaint_rows
from projections.facts import iso, parse_iso
from projections.profiles import build_record
from projections.satisfaction import answer_rows, sent_rows

TIME_COLUMNS = ("occurred_at", "filed_at", "first_response_at", "resolved_at")
Item = tuple[str, dict[str, Any]]


def _replayed(
    view: View,
    progress: bool,
    purchases: list[tuple[str, str | None, list[list[Any]]]] | None = None,
    restricted: Collection[str] = (),
) -> Iterator[Item]:
    """Yield every answer, survey sent and complaint as the view sees them, streaming the log one customer at a time.

    With purchases, each customer's segment and purchase days are appended to it on the way.
    Restricted customers are left out.
    """
    for customer, seen in view.replay(progress=progress):
        if customer in restricted:
            continue
        for answer in answer_rows(customer, seen):
            yield "answer", answer
        for sent in sent_rows(customer, seen):
            yield "sent", sent
        for complaint in complaint_rows(customer, seen):
            yield "complaint", complaint
        if purchases is not None and seen:
            record = build_record(customer, seen)
            purchases.append((customer, record.segment, record.days))


def trends(
    store: EventStore,
    config: LedgerConfig,
    f: metrics.TrendFilter,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    currency: str | None = None,
    progress: bool = False,
) -> QueryResult[TrendRow]:
    """Return satisfaction, complaint and buyer figures per period (and channel or segment).

    Restricted customers are left out of every figure (``restricted`` counts them).
    """
    view = View(store, config, as_of, known_at, currency)
    behind, buckets, activity = 0, None, None
    restricted = privacy_states.restricted_customers(store)
    if not view.replays:
        with view.snapshot() as connection:
            if f.segment is not None:
                check_segment(store, connection, f.segment)
            models = read_models(store, connection, ["satisfaction", "complaints", "profiles"])
            if models.built:
                buckets = metrics.Buckets(f)
                tables = {**models.tables("satisfaction"), **models.tables("complaints")}
                count_buckets(connection, tables, buckets, restricted)
                key = ("trends", f.by, f.start, f.end, f.segment, f.split, view.on, view.money_key(), frozenset(restricted))

                def compute() -> dict[tuple[str, str], Activity]:
                    return stored_activity(connection, models.tables("profiles"), f, view.on, view.convert, restricted)

                activity = remembered(store.engine, models, key, compute)
                behind = models.behind
            else:
                behind = models.head
    if buckets is None or activity is None:
        replayed: list[tuple[str, str | None, list[list[Any]]]] = []
        buckets = metrics.buckets_of(_replayed(view, progress, replayed, restricted), f)
        activity = buyer_activity(PurchaseDays(view, stored=replayed), f, view.convert)
    last = metrics.period_key(min(view.on, f.end or view.on), f.by)
    rows = trend_rows(buckets, activity, settings=config.satisfaction, currency=view.base, last_period=last)
    return QueryResult(rows, behind, len(restricted))


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
    calendar = config.sla.calendar(config.ledger.tz)
    rows = [_summary(c, sla.evaluate(c, now, config.sla, calendar)) for c in found]
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
