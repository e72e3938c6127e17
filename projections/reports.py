"""Queries over answers and complaints: satisfaction trends and the complaints list with SLA outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from projections import metrics, sla
from projections.complaints import complaint_rows
from projections.customers import Moment, View
from projections.facts import effective, parse_iso
from projections.operations import open_read_models
from projections.runner import progress_bar
from projections.satisfaction import answer_rows
from projections.source import scan_streams

if TYPE_CHECKING:
    from ledger.api import Ledger

TIME_COLUMNS = ("occurred_at", "filed_at", "first_response_at", "resolved_at")


def _stored(ledger: Ledger, names: list[str], progress: bool) -> dict[str, list[dict[str, Any]]]:
    """Read answers and complaints from the projection tables, times parsed."""
    models = open_read_models(ledger, names, progress=progress)
    found: dict[str, list[dict[str, Any]]] = {}
    with ledger.store.engine.connect() as connection:
        for tables in models.values():
            for key, table in tables.items():
                rows = [dict(row._mapping) for row in connection.execute(select(table))]
                for row in rows:
                    for column in TIME_COLUMNS:
                        if column in row:
                            row[column] = parse_iso(row[column])
                found[key] = rows
    return found


def _replayed(view: View, progress: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every answer and complaint as the view sees them, streaming the log one customer at a time."""
    store = view.ledger.store
    head = store.max_position()
    with store.engine.connect() as connection, progress_bar(head, "replay", progress) as bar:
        for customer, facts in scan_streams(store, connection, head):
            bar.update(len(facts))
            seen = effective(facts, as_of=view.as_of, known_at=view.known_at)
            for answer in answer_rows(customer, seen):
                yield "answer", answer
            for complaint in complaint_rows(customer, seen):
                yield "complaint", complaint


def trends(
    ledger: Ledger, f: metrics.TrendFilter, *, as_of: Moment = None, known_at: Moment = None, progress: bool = False
) -> list[dict[str, Any]]:
    """Return satisfaction and complaint figures per period."""
    view = View(ledger, as_of, known_at)
    if view.replays:
        return metrics.trends(_replayed(view, progress), f)
    stored = _stored(ledger, ["satisfaction", "complaints"], progress)
    items = [("answer", a) for a in stored["answers"]] + [("complaint", c) for c in stored["complaints"]]
    return metrics.trends(items, f)


def complaints(
    ledger: Ledger, *, open_only: bool = False, overdue_only: bool = False, as_of: Moment = None, progress: bool = False
) -> list[dict[str, Any]]:
    """Return complaints with age, times and SLA outcomes on the as-of moment (default now)."""
    view = View(ledger, as_of, None)
    now = view.as_of or datetime.now(UTC)
    if view.replays:
        found = [item for kind, item in _replayed(view, progress) if kind == "complaint"]
    else:
        found = _stored(ledger, ["complaints"], progress)["complaints"]
    rows = [sla.evaluate(c, now, ledger.config.sla) for c in found]
    rows = [r for r in rows if (not open_only or r["state"] == "open") and (not overdue_only or r["overdue"])]
    return sorted(rows, key=lambda r: (r["filed_at"], r["customer"], r["complaint_id"]))
