"""Restricted customers are left out of cohorts, trends, the report and the warehouse export, and counted there."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

from ledger import Ledger


def _shop(ledger: Ledger) -> None:
    for customer, days in (("C-1", ("2024-01-05", "2024-02-07")), ("C-2", ("2024-01-10",)), ("C-3", ("2024-02-01",))):
        for n, day in enumerate(days):
            ledger.append("purchase", customer, {"order_id": f"{customer}-{n}", "amount": "10.00"}, occurred_at=day)
    ledger.append("survey_answered", "C-1", {"survey_id": "s1", "kind": "nps", "score": 0}, occurred_at="2024-01-06")
    ledger.append("survey_answered", "C-2", {"survey_id": "s2", "kind": "nps", "score": 10}, occurred_at="2024-01-11")
    ledger.append("complaint_filed", "C-1", {"complaint_id": "k1", "severity": "high"}, occurred_at="2024-01-07")


def test_a_restricted_customer_leaves_cohorts_and_trends_and_comes_back_when_lifted(ledger):
    _shop(ledger)
    ledger.rebuild(progress=False)
    everyone = ledger.cohorts(by="month")
    ledger.restrict("C-1", "objection")
    for cohorts in (ledger.cohorts(by="month"), ledger.cohorts(by="month", known_at=datetime.now(UTC))):
        assert [(row.cohort, row.size) for row in cohorts.cohorts] == [("2024-01", 1), ("2024-02", 1)]
        assert cohorts.restricted == 1
    for trends in (ledger.trends(by="month"), ledger.trends(by="month", known_at=datetime.now(UTC))):
        january = trends.rows[0]
        # C-1's purchase, detractor answer and complaint are all left out.
        assert (january.buyers, january.orders, january.nps, january.complaints_filed) == (1, 1, 100.0, 0)
        assert trends.restricted == 1
    ledger.unrestrict("C-1")
    assert ledger.cohorts(by="month").cohorts == everyone.cohorts
    assert ledger.trends(by="month").restricted == 0


def test_the_report_leaves_restricted_customers_out_and_says_how_many(ledger):
    _shop(ledger)
    ledger.rebuild(progress=False)
    ledger.restrict("C-3", "objection")
    report = ledger.report(as_of="2024-03-31")
    assert (report.customers, report.restricted) == (2, 1)
    assert "2 customers; 1 left out (processing restricted)" in report.html
    cohorts = next(chart for chart in report.charts if chart.name == "cohorts")
    assert "2024-02" not in json.dumps(cohorts.figure["data"][0].get("y", []))  # C-3 was February's only new buyer


def test_the_warehouse_leaves_out_restricted_customers_and_counts_them(ledger, tmp_path):
    _shop(ledger)
    ledger.restrict("C-2", "objection")
    result = ledger.export_warehouse(tmp_path / "wh")
    assert result.restricted == 1
    manifest = json.loads((tmp_path / "wh" / "manifest.json").read_text())
    assert manifest["exports"][0]["restricted"] == 1
    wh = tmp_path / "wh"
    customers = duckdb.sql(f"SELECT DISTINCT customer FROM read_parquet('{wh}/fact_purchases/**/*.parquet')").fetchall()
    assert sorted(c for (c,) in customers) == ["C-1", "C-3"]
    dims = duckdb.sql(f"SELECT customer FROM read_parquet('{wh}/dim_customer/**/*.parquet')").fetchall()
    assert sorted(c for (c,) in dims) == ["C-1", "C-3"]
    assert not duckdb.sql(f"SELECT * FROM read_parquet('{wh}/fact_surveys/**/*.parquet') WHERE customer = 'C-2'").fetchall()
