"""The projection and query commands end to end through click, on SQLite."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from cli import main


@pytest.fixture
def db(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_CONFIG", raising=False)
    runner = CliRunner()
    for args in [
        ["append", "customer_registered", "--customer", "C-1", "--at", "2024-01-01", "segment=retail"],
        ["append", "purchase", "--customer", "C-1", "--at", "2024-01-01", "order_id=O-1", "amount=10.00"],
        ["append", "purchase", "--customer", "C-1", "--at", "2024-01-03T10:00:00Z", "order_id=O-2", "amount=20.00"],
        ["append", "purchase", "--customer", "C-1", "--at", "2024-01-10", "order_id=O-3", "amount=40.00"],
        ["append", "survey_answered", "--customer", "C-1", "--at", "2024-01-11", "survey_id=S", "kind=nps", "score=9"],
        ["append", "complaint_filed", "--customer", "C-2", "--at", "2024-01-05", "complaint_id=K", "severity=low"],
    ]:
        result = runner.invoke(main, ["--db", sqlite_url, *args])
        assert result.exit_code == 0, result.output
    return sqlite_url


def run(db: str, *args: str):
    return CliRunner().invoke(main, ["--db", db, *args])


def test_projections_status_rebuild_and_run(db):
    assert "never built" in run(db, "projections", "status").output
    rebuilt = run(db, "projections", "rebuild")
    assert rebuilt.exit_code == 0 and "rebuilt all projections: 6 events" in rebuilt.output
    lines = [json.loads(line) for line in run(db, "projections", "status", "--json").output.splitlines()]
    assert [(s["name"], s["position"], s["behind"], s["state"]) for s in lines] == [
        ("profiles", 6, 0, "current"),
        ("complaints", 6, 0, "current"),
        ("satisfaction", 6, 0, "current"),
    ]
    run(db, "append", "contact", "--customer", "C-1", "--at", "2024-01-12", "channel=phone")
    caught = run(db, "projections", "run")
    assert caught.exit_code == 0 and "applied 1 events" in caught.output


def test_unknown_projection_is_a_usage_error(db):
    result = run(db, "projections", "rebuild", "profiles", "nope")
    assert result.exit_code == 2
    assert "unknown projection: 'nope' (known: profiles, complaints, satisfaction)" in result.output


def test_profile_builds_on_first_query_and_prints_json(db):
    result = run(db, "profile", "C-1", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["purchases"], found["purchase_days"], found["spend"], found["average_order_value"]) == (
        3,
        3,
        {"EUR": "70.00"},
        {"EUR": "23.33"},
    )
    assert (found["last_nps"], found["segment"], found["first_purchase"]) == (9, "retail", "2024-01-01T00:00:00.000000Z")
    text = run(db, "profile", "C-1", "--as-of", "2024-01-05")
    assert text.exit_code == 0 and "development (2024-01-01)" in text.output


def test_profile_errors(db):
    unknown = run(db, "profile", "C-404")
    assert (unknown.exit_code, unknown.output.strip()) == (1, "Error: unknown customer: 'C-404'")
    bad_date = run(db, "profile", "C-1", "--as-of", "2024-13-01")
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output


def test_bad_toml_is_a_usage_error(db, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[lifecycle]\ndefault_gap_days = 'soon'\n")
    result = CliRunner().invoke(main, ["--db", db, "--config", str(config), "customers"])
    assert result.exit_code == 2 and "lifecycle.default_gap_days" in result.output
    config.write_text("[sla\n")
    assert CliRunner().invoke(main, ["--db", db, "--config", str(config), "customers"]).exit_code == 2


def test_customers_filters_and_csv(db):
    result = run(db, "customers", "--as-of", "2024-01-31", "--csv")
    assert result.exit_code == 0, result.output
    header, c1, c2 = result.stdout.splitlines()
    assert header.startswith("customer,stage,churn_risk,purchase_days,recency_days,spend_365,rfm,value_segment,vip")
    # g = median(2, 7) = 4.5 days, r = 21 > 2g: at risk; the only buyer beats nobody, so scores 1 1 1.
    assert c1 == "C-1,development,True,3,21,70.00,111,lost,True"
    assert c2 == "C-2,potential,False,0,,,,,False"
    assert run(db, "customers", "--stage", "potential", "--json").stdout.count("\n") == 1
    assert "(none)" in run(db, "customers", "--vip", "--as-of", "2023-12-31").output
    bad = run(db, "customers", "--segment", "gold")
    assert bad.exit_code == 2 and "'gold' is not one of 'about_to_sleep'" in bad.output


def test_trends_and_complaints(db):
    rows = [json.loads(line) for line in run(db, "trends", "--by", "week", "--json").stdout.splitlines()]
    assert [(r["period"], r["nps"], r["complaints_filed"]) for r in rows] == [("2024-W01", None, 1), ("2024-W02", 100.0, 0)]
    assert run(db, "trends", "--from", "yesterday").exit_code == 2
    overdue = [json.loads(line) for line in run(db, "complaints", "--overdue", "--json").stdout.splitlines()]
    assert [(c["complaint_id"], c["response_met"], c["overdue"]) for c in overdue] == [("K", False, True)]
    on_time = run(db, "complaints", "--open", "--as-of", "2024-01-05T12:00:00Z", "--json").stdout.splitlines()
    assert json.loads(on_time[0])["response_met"] is None


def test_export_rfm_csv_and_jsonl(db):
    def export(*args: str):
        return run(db, "export", "rfm", *args)

    csv = export("--as-of", "2024-01-31")
    assert csv.exit_code == 0, csv.output
    assert csv.stdout.splitlines() == ["customer,frequency,recency,T,monetary_value", "C-1,2.0000,9.0000,30.0000,30.0000"]
    weeks = export("--as-of", "2024-01-31", "--unit", "weeks", "--format", "json")
    row = json.loads(weeks.stdout)
    assert row["customer"] == "C-1" and row["recency"] == pytest.approx(9 / 7) and row["T"] == pytest.approx(30 / 7)
    assert export("--as-of", "2023-12-31").stdout.splitlines() == ["customer,frequency,recency,T,monetary_value"]
    assert export("--as-of", "31/01/2024").exit_code == 2


def test_a_late_survey_answer_changes_last_months_nps_only_known_at_after_its_recording(db):
    october = ["trends", "--from", "2024-10-01", "--to", "2024-10-31", "--json"]
    # Two surveys: answers to one survey by one customer count once (the latest).
    for survey in ("Q1", "Q2"):
        args = ["append", "survey_answered", "--customer", "C-3", "--at", "2024-10-10", f"survey_id={survey}", "kind=nps"]
        assert run(db, *args, "score=10").exit_code == 0
    before = datetime.now(UTC)
    time.sleep(0.01)
    late = ["append", "survey_answered", "--customer", "C-4", "--at", "2024-10-20", "survey_id=Q", "kind=nps", "score=0"]
    assert run(db, *late).exit_code == 0
    time.sleep(0.01)
    after = datetime.now(UTC)

    def nps(*extra: str) -> tuple[float, int]:
        result = run(db, *october, *extra)
        assert result.exit_code == 0, result.output
        (row,) = [json.loads(line) for line in result.stdout.splitlines()]
        return row["nps"], row["nps_answers"]

    # (2 promoters - 1 detractor) / 3 answers; before the late answer was recorded: 2 promoters of 2.
    assert nps() == (pytest.approx(100 / 3), 3)
    assert nps("--known-at", before.isoformat()) == (100.0, 2)
    assert nps("--known-at", after.isoformat()) == (pytest.approx(100 / 3), 3)
    assert nps("--as-of", "2024-10-19") == (100.0, 2)  # as of a date: the late answer had not occurred yet
    assert nps("--as-of", "2024-10-20", "--known-at", before.isoformat()) == (100.0, 2)
    unknown_then = run(db, "profile", "C-4", "--known-at", before.isoformat())
    assert unknown_then.exit_code == 1 and "nothing occurred or was known by then" in unknown_then.output
    assert json.loads(run(db, "profile", "C-4", "--known-at", after.isoformat(), "--json").stdout)["last_nps"] == 0


def test_a_missing_rate_fails_the_query_that_needs_it_not_the_rebuild(db):
    # Inside the trailing year, so that ranking customers by spend needs the USD rate.
    day = datetime.now(UTC).date().replace(day=1).isoformat()
    bought = run(db, "append", "purchase", "--customer", "C-3", "--at", day, "order_id=U-1", "amount=5.00", "currency=USD")
    assert bought.exit_code == 0, bought.output
    rebuilt = run(db, "projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert run(db, "projections", "run").exit_code == 0
    ranked = run(db, "customers")
    assert ranked.exit_code == 1
    assert f"no exchange rate for USD on or before {day}" in ranked.output
