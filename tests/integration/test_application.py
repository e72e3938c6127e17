"""Every use case through the Python API, as the README shows it: typed results, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from datetime import date

import orjson
import pytest

from ledger import (
    AppendResult,
    ClvRow,
    ComplaintSummary,
    CustomerProfile,
    CustomerSummary,
    Digest,
    DigestDocument,
    EventNotFoundError,
    ImportSummary,
    InvalidEventError,
    Ledger,
    ProjectionStatus,
    QueryResult,
    RebuildResult,
    Receipt,
    RecordedEvent,
    TrendRow,
    VerificationFailedError,
    VerificationReport,
)

HISTORY = [
    {"type": "contact", "customer": "C-1", "occurred_at": "2024-01-05", "event_id": "c1", "data": {"channel": "phone"}},
    {"type": "purchase", "customer": "C-1", "occurred_at": "2024-02-01", "event_id": "p1",
     "data": {"order_id": "O-1", "amount": "40.00"}},
    {"type": "purchase", "customer": "C-2", "occurred_at": "2024-02-03", "event_id": "p2",
     "data": {"order_id": "O-2", "amount": "10.00"}},
    {"type": "complaint_filed", "customer": "C-1", "occurred_at": "2024-02-10T09:00:00Z", "event_id": "k1",
     "data": {"complaint_id": "K-1", "severity": "high", "channel": "phone"}},
    {"type": "complaint_resolved", "customer": "C-1", "occurred_at": "2024-02-11T09:00:00Z", "event_id": "k2",
     "data": {"complaint_id": "K-1"}},
    {"type": "survey_answered", "customer": "C-1", "occurred_at": "2024-02-12", "event_id": "s1",
     "data": {"survey_id": "S-1", "kind": "nps", "score": 9}},
]  # fmt: skip


def test_writes_return_receipts_and_batch_results(ledger: Ledger):
    receipt = ledger.append("purchase", "C-9", {"order_id": "O-9", "amount": "19.90"}, occurred_at="2024-05-01", event_id="x")
    assert isinstance(receipt, Receipt) and not receipt.duplicate and receipt.position == 1
    assert ledger.append("purchase", "C-9", {"order_id": "O-9", "amount": "19.90"}, occurred_at="2024-05-01", event_id="x") == (
        Receipt("x", 1, duplicate=True)
    )
    result = ledger.append_many([*HISTORY, {"type": "refund", "customer": "C-2", "data": {"order_id": "O-2", "amount": "99"}}])
    assert isinstance(result, AppendResult)
    assert [e.event_id for e in result.stored] == [e["event_id"] for e in HISTORY]
    assert [(r.index, r.error.problems[0][0]) for r in result.rejected] == [(len(HISTORY), "data.amount")]
    with pytest.raises(InvalidEventError):
        ledger.append_many([{"type": "purchase", "customer": "C-3", "data": {}}], strict=True)
    assert ledger.store.max_position() == 1 + len(HISTORY)


def test_import_file_takes_a_stream_and_reports_progress_in_bytes(ledger: Ledger):
    body = b"".join(orjson.dumps(e) + b"\n" for e in HISTORY) + b'{"type": "nope"}\n'
    read: list[int] = []
    summary = ledger.import_file(io.BytesIO(body), on_progress=read.append)
    assert isinstance(summary, ImportSummary)
    assert (summary.stored, summary.duplicates, summary.rejected) == (len(HISTORY), 0, 1)
    assert summary.problems[0].line == len(HISTORY) + 1
    assert sum(read) == len(body)
    again = ledger.import_file(io.BytesIO(body))
    assert (again.stored, again.duplicates) == (0, len(HISTORY))


def test_void_and_correct_are_new_events_that_queries_apply(ledger: Ledger):
    ledger.append_many(HISTORY, strict=True)
    voided = ledger.void("p2", "test order", actor="auditor-7")
    corrected = ledger.correct("s1", {"score": 7}, reason="typed 9 for 7")
    assert voided.position == len(HISTORY) + 1 and corrected.position == len(HISTORY) + 2
    with pytest.raises(EventNotFoundError):
        ledger.void("no-such-event", "why")
    timeline = ledger.timeline("C-1")
    assert all(isinstance(e, RecordedEvent) for e in timeline)
    assert [e.event_id for e in ledger.timeline("C-1", as_of="2024-02-01")] == ["c1", "p1"]
    ledger.rebuild()
    assert ledger.profile("C-1").last_nps == 7
    answered = next(e for e in timeline if e.event_id == "s1")
    assert ledger.profile("C-1", known_at=answered.recorded_at).last_nps == 9
    assert [s.customer for s in ledger.customers()] == ["C-1", "C-2"]
    assert ledger.profile("C-2").purchases == 0


def test_queries_exports_and_operations_return_their_types(ledger: Ledger):
    ledger.append_many(HISTORY, strict=True)
    assert all(s.state.startswith("never built") for s in ledger.projections_status())
    built = ledger.rebuild()
    assert isinstance(built, RebuildResult) and built.events == len(HISTORY)
    assert sorted(built.projections) == ["complaints", "profiles", "satisfaction"]
    status = ledger.projections_status()
    assert all(isinstance(s, ProjectionStatus) and s.behind == 0 and s.state == "current" for s in status)

    profile = ledger.profile("C-1", as_of="2024-12-31")
    assert isinstance(profile, CustomerProfile)
    assert (profile.contacts, profile.purchases, profile.spend, profile.complaints) == (1, 1, {"EUR": "40.00"}, 1)
    customers = ledger.customers()
    assert isinstance(customers, QueryResult) and customers.behind == 0
    assert all(isinstance(row, CustomerSummary) for row in customers)
    trends = ledger.trends(by="month", start=date(2024, 2, 1), end=date(2024, 2, 29))
    (february,) = trends.rows
    assert isinstance(february, TrendRow)
    assert (february.period, february.nps, february.nps_answers, february.complaints_filed) == ("2024-02", 100.0, 1, 1)
    (complaint,) = ledger.complaints(as_of="2024-03-01")
    assert isinstance(complaint, ComplaintSummary) and complaint.state == "resolved" and complaint.resolution_hours == 24
    rfm = list(ledger.export_rfm(as_of="2024-12-31"))
    assert all(isinstance(row, ClvRow) for row in rfm) and sorted(r.customer for r in rfm) == ["C-1", "C-2"]
    lines = list(ledger.export_events(customer="C-1"))
    assert len(lines) == 6 and b'"export"' in lines[-1]  # the five events of C-1, then the export's digest

    ledger.append("contact", "C-2", {"channel": "email"}, occurred_at="2024-03-01")
    assert ledger.customers().behind == 1
    assert ledger.catch_up() == 1
    assert ledger.customers().behind == 0


def test_log_waits_for_news_and_follow_stops_when_asked(ledger: Ledger):
    ledger.append_many(HISTORY[:2], strict=True)
    assert [e.position for e in ledger.log(after=0, limit=10)] == [1, 2]
    assert ledger.log(after=2, wait=0.3) == []
    threading.Timer(0.2, lambda: ledger.append("contact", "C-1", {"channel": "web"}, occurred_at="2024-03-01")).start()
    assert [e.position for e in ledger.log(after=2, wait=5)] == [3]
    stop = threading.Event()
    stop.set()
    ledger.follow(stop=stop)  # builds what was never built, catches up once, then stops
    assert [s.behind for s in ledger.projections_status()] == [0, 0, 0]


def test_digest_and_verify(ledger: Ledger):
    ledger.append_many(HISTORY, strict=True)
    digest = ledger.digest()
    assert isinstance(digest, DigestDocument) and digest.position == len(HISTORY)
    report = ledger.verify(Digest(digest.position, digest.root))
    assert isinstance(report, VerificationReport) and (report.events, report.digest_position) == (len(HISTORY), digest.position)
    with pytest.raises(VerificationFailedError):
        ledger.verify(Digest(digest.position, "0" * 64))
