"""The warehouse export on SQLite and PostgreSQL, loaded back with DuckDB and checked against the ledger's own figures."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledger import Digest
from ledger.warehouse.manifest import WarehouseError, sha256_of

TABLES = ("fact_purchases", "fact_contacts", "fact_complaints", "fact_surveys", "dim_customer", "dim_date")


def _shop(ledger) -> None:
    ledger.append("customer_registered", "C-1", {"name": "Ada Lovelace", "segment": "retail"}, occurred_at="2024-04-01")
    ledger.append(
        "purchase", "C-1", {"order_id": "o1", "amount": "100.00", "currency": "EUR"}, occurred_at="2024-04-02", event_id="p1"
    )
    ledger.append(
        "purchase", "C-1", {"order_id": "o2", "amount": "30.00", "currency": "EUR"}, occurred_at="2024-05-03", event_id="p2"
    )
    ledger.append("refund", "C-1", {"order_id": "o1", "amount": "10.00"}, occurred_at="2024-05-04")
    ledger.append(
        "purchase", "C-2", {"order_id": "o3", "amount": "12.50", "currency": "EUR"}, occurred_at="2024-05-05", event_id="p3"
    )
    ledger.append("contact", "C-2", {"channel": "phone", "note": "called about o3"}, occurred_at="2024-05-05")
    ledger.append("complaint_filed", "C-2", {"complaint_id": "k1", "severity": "high"}, occurred_at="2024-05-06")
    ledger.append("complaint_resolved", "C-2", {"complaint_id": "k1"}, occurred_at="2024-05-07")
    ledger.append("survey_answered", "C-2", {"survey_id": "s1", "kind": "nps", "score": 9}, occurred_at="2024-05-08")
    ledger.correct("p3", {"amount": "15.00"}, reason="typo")


def _sql(directory: Path, query: str) -> list[tuple]:
    tables = {
        name: f"read_parquet('{directory}/{name}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
        for name in TABLES
    }
    return duckdb.sql(query.format(**tables)).fetchall()


def _ledger_spend(ledger, customers: list[str]) -> Decimal:
    return sum((Decimal(ledger.profile(c).spend.get("EUR", "0")) for c in customers), Decimal(0))


def test_an_export_loads_in_duckdb_with_the_ledgers_counts_and_revenue(ledger, tmp_path):
    _shop(ledger)
    head = ledger.store.max_position()
    result = ledger.export_warehouse(tmp_path / "wh")
    assert (result.sequence, result.after, result.position, result.events) == (1, 0, head, head)
    assert ledger.store.max_position() == head  # an export writes nothing to the ledger

    wh = tmp_path / "wh"
    [(revenue, purchases)] = _sql(wh, "SELECT SUM(amount), SUM(sign) FILTER (WHERE kind = 'purchase') FROM {fact_purchases}")
    assert revenue == _ledger_spend(ledger, ["C-1", "C-2"]) == Decimal("135.00")
    assert purchases == sum(ledger.profile(c).purchases for c in ("C-1", "C-2")) == 3
    # The correction of p3 is a reversal of 12.50 and a row of 15.00, both in p3's month.
    assert _sql(
        wh, "SELECT sign, amount, month FROM {fact_purchases} WHERE event_id = 'p3' ORDER BY recorded_position, sign"
    ) == [
        (1, Decimal("12.5000"), "2024-05"),
        (-1, Decimal("-12.5000"), "2024-05"),
        (1, Decimal("15.0000"), "2024-05"),
    ]
    trends = ledger.trends(by="month").rows
    # Trends count a refund against its order's month: the same join in the warehouse gives the same figures.
    by_order_month = """
        WITH orders AS (SELECT customer, order_id, MIN(month) AS month FROM {fact_purchases} WHERE kind = 'purchase' GROUP BY ALL)
        SELECT o.month, SUM(f.amount) FROM {fact_purchases} AS f JOIN orders AS o USING (customer, order_id) GROUP BY o.month
    """
    assert dict(_sql(wh, by_order_month)) == {t.period: Decimal(t.revenue) for t in trends if t.orders}
    assert dict(_sql(wh, by_order_month)) == {"2024-04": Decimal(90), "2024-05": Decimal(45)}
    assert _sql(wh, "SELECT step, severity FROM {fact_complaints} ORDER BY position") == [("filed", "high"), ("resolved", None)]
    assert _sql(wh, "SELECT customer, kind, score FROM {fact_surveys}") == [("C-2", "nps", 9)]
    assert _sql(wh, "SELECT customer, segment FROM {dim_customer} ORDER BY customer") == [("C-1", "retail"), ("C-2", None)]
    assert _sql(wh, "SELECT COUNT(*), MIN(date)::TEXT, MAX(date)::TEXT FROM {dim_date}") == [(37, "2024-04-02", "2024-05-08")]

    manifest = json.loads((wh / "manifest.json").read_text())
    for table in TABLES:
        [(count,)] = _sql(wh, f"SELECT COUNT(*) FROM {{{table}}}")
        assert manifest["rows"][table] == count, table
    for file in manifest["exports"][0]["files"]:
        assert sha256_of(wh / file["path"]) == file["sha256"]
    digest = manifest["exports"][0]["digest"]
    assert digest["position"] == head
    assert ledger.verify(Digest(digest["position"], digest["root"])).events == head


def test_a_second_export_writes_only_the_new_positions(ledger, tmp_path):
    _shop(ledger)
    wh = tmp_path / "wh"
    first = ledger.export_warehouse(wh)
    files_before = {p: sha256_of(p) for p in wh.rglob("*.parquet")}
    assert ledger.export_warehouse(wh).sequence is None  # nothing new: nothing written
    ledger.append("purchase", "C-3", {"order_id": "o4", "amount": "20.00", "currency": "EUR"}, occurred_at="2024-06-01")
    ledger.void("p2", "test order")
    ledger.append("customer_updated", "C-1", {"segment": "vip"}, occurred_at="2024-06-02")

    second = ledger.export_warehouse(wh)
    assert (second.sequence, second.after, second.events) == (2, first.position, 3)
    assert second.rows["fact_purchases"] == 2  # C-3's purchase, and the reversal of p2
    assert second.rows["dim_customer"] == 2  # C-3 is new, C-1's segment changed
    assert {p: sha256_of(p) for p in files_before} == files_before  # the first export's files are untouched
    [(revenue,)] = _sql(wh, "SELECT SUM(amount) FROM {fact_purchases}")
    assert revenue == _ledger_spend(ledger, ["C-1", "C-2", "C-3"]) == Decimal("125.00")
    latest = (
        "SELECT customer, segment FROM {dim_customer}"
        " QUALIFY row_number() OVER (PARTITION BY customer ORDER BY valid_from_position DESC) = 1"
    )
    assert sorted(_sql(wh, latest)) == [("C-1", "vip"), ("C-2", None), ("C-3", None)]
    manifest = json.loads((wh / "manifest.json").read_text())
    assert [e["sequence"] for e in manifest["exports"]] == [1, 2]
    assert manifest["position"] == second.position == ledger.store.max_position()
    assert manifest["rows"]["fact_purchases"] == 6 + 2


def test_personal_fields_stay_out_unless_asked(ledger, tmp_path):
    _shop(ledger)
    ledger.export_warehouse(tmp_path / "plain")
    names = {row[0] for row in _sql(tmp_path / "plain", "DESCRIBE SELECT * FROM {dim_customer}")}
    assert "name" not in names and "segment" in names
    contacts = {row[0] for row in _sql(tmp_path / "plain", "DESCRIBE SELECT * FROM {fact_contacts}")}
    assert "note" not in contacts and "channel" in contacts

    ledger.export_warehouse(tmp_path / "full", personal=True)
    assert _sql(tmp_path / "full", "SELECT name FROM {dim_customer} WHERE customer = 'C-1'") == [("Ada Lovelace",)]
    assert _sql(tmp_path / "full", "SELECT note FROM {fact_contacts}") == [("called about o3",)]
    with pytest.raises(WarehouseError, match="exported without personal data"):
        ledger.export_warehouse(tmp_path / "plain", personal=True)


def test_a_directory_with_a_foreign_manifest_is_refused(ledger, tmp_path):
    _shop(ledger)
    (tmp_path / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(WarehouseError, match="not a ledger warehouse manifest"):
        ledger.export_warehouse(tmp_path)
