"""The cohorts command and the trends' new figures end to end through click, on SQLite."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main


@pytest.fixture
def db(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_CONFIG", raising=False)
    runner = CliRunner()
    for customer, day, order in [("C-1", "2024-01-05", "O-1"), ("C-1", "2024-02-05", "O-2"), ("C-2", "2024-01-09", "O-3")]:
        args = ["append", "purchase", "--customer", customer, "--at", day, f"order_id={order}", "amount=10.00"]
        result = runner.invoke(main, ["--db", sqlite_url, *args])
        assert result.exit_code == 0, result.output
    (tmp_path / "rates.csv").write_text("date,currency,rate\n2024-01-01,USD,2\n", encoding="utf-8")
    assert runner.invoke(main, ["--db", sqlite_url, "rates", "import", "rates.csv"]).exit_code == 0
    return sqlite_url


def run(db, *args):
    return CliRunner().invoke(main, ["--db", db, *args])


def test_cohorts_table_csv_and_json(db):
    table = run(db, "cohorts", "--as-of", "2024-03-31")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["cohort", "size", "0", "1", "2"]
    assert lines[2].split() == ["2024-01", "2", "100.0", "50.0", "0.0"]  # percentages for people
    assert lines[3].split() == ["all", "2", "100.0", "50.0", "0.0"]
    csv = run(db, "cohorts", "--as-of", "2024-03-31", "--csv")
    assert csv.stdout.splitlines()[1] == "2024-01,2,1.0,0.5,0.0"  # shares for machines
    found = json.loads(run(db, "cohorts", "--as-of", "2024-02-29", "--metric", "revenue", "--currency", "USD", "--json").stdout)
    assert (found["metric"], found["currency"], found["cohorts"]) == (
        "revenue",
        "USD",
        [{"cohort": "2024-01", "size": 2, "values": ["40.00", "20.00"]}],
    )


def test_cohorts_refuse_an_unknown_metric_and_trends_take_a_currency(db):
    wrong = run(db, "cohorts", "--metric", "profit")
    assert wrong.exit_code == 2 and "profit" in wrong.output
    rows = [json.loads(line) for line in run(db, "trends", "--currency", "USD", "--json").stdout.splitlines()]
    assert [(r["period"], r["orders"], r["revenue"], r["currency"]) for r in rows] == [
        ("2024-01", 2, "40.00", "USD"),
        ("2024-02", 1, "20.00", "USD"),
    ]
    assert rows[1]["churn_rate"] == 0.5 and rows[1]["repeat_purchase_rate"] == 1.0
