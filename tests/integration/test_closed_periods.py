"""A closed month's complaint figures depend only on events dated in it, from the tables and from a replay."""

from __future__ import annotations


def _may(ledger) -> tuple:
    (row,) = [r for r in ledger.trends(by="month").rows if r.period == "2024-05"]
    return row.complaints_filed, row.complaints_resolved, row.median_first_response_hours, row.median_resolution_hours


def test_appending_later_events_never_changes_a_closed_month(ledger):
    ledger.append("complaint_filed", "C-1", {"complaint_id": "k", "severity": "high"}, occurred_at="2024-05-02T09:00:00Z")
    ledger.append("complaint_resolved", "C-1", {"complaint_id": "k"}, occurred_at="2024-05-03T21:00:00Z")
    ledger.rebuild(progress=False)
    closed = _may(ledger)
    assert closed == (1, 1, 36.0, 36.0)  # by hand: filed 05-02 09:00, resolved 05-03 21:00
    ledger.append("complaint_reopened", "C-1", {"complaint_id": "k", "reason": "not fixed"}, occurred_at="2024-06-01T09:00:00Z")
    ledger.catch_up(progress=False)
    assert _may(ledger) == closed
    ledger.append("complaint_resolved", "C-1", {"complaint_id": "k"}, occurred_at="2024-06-02T09:00:00Z")
    ledger.catch_up(progress=False)
    assert _may(ledger) == closed
    june = {r.period: r.complaints_resolved for r in ledger.trends(by="month").rows}
    assert june == {"2024-05": 1, "2024-06": 1}
    # A replay gives the same.
    assert {r.period: r.complaints_resolved for r in ledger.trends(by="month", as_of="2024-12-31").rows} == june
