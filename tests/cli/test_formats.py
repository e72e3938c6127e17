"""One output option on every command that prints data: --format table|json|csv, --json and --csv."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from cli import main


@pytest.fixture
def run(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_CONFIG", raising=False)

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, ["--db", sqlite_url, *args], input=input, catch_exceptions=False)

    for args in [
        ["contact", "--customer", "C-1", "--at", "2024-01-01", "--event-id", "E-1", "channel=web"],
        ["purchase", "--customer", "C-1", "--at", "2024-01-02", "--event-id", "E-2", "order_id=O-1", "amount=10.50"],
    ]:
        assert invoke("append", *args).exit_code == 0
    return invoke


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_aliases_print_what_format_prints(run):
    assert run("log", "--json").stdout == run("log", "--format", "json").stdout
    assert run("log", "--csv").stdout == run("log", "--format", "csv").stdout
    assert run("export", "events", "--csv").stdout == run("export", "events", "--format", "csv").stdout
    header = run("log", "--csv").stdout.splitlines()[0]
    assert header.startswith("position,version,type,event_id,customer,occurred_at")


def test_events_as_csv_carry_their_data_as_json(run):
    rows = list(csv.DictReader(io.StringIO(run("timeline", "C-1", "--csv").stdout)))
    assert [row["event_id"] for row in rows] == ["E-1", "E-2"]
    assert json.loads(rows[1]["data"]) == {"order_id": "O-1", "amount": "10.50", "currency": "EUR", "quantity": 1}
    assert rows[0]["actor"] == ""


def test_import_in_json_prints_each_rejected_line_then_the_summary(run, tmp_path):
    path = tmp_path / "events.jsonl"
    good = {"type": "contact", "customer": "C-2", "occurred_at": "2024-01-03", "data": {"channel": "web"}}
    path.write_text(json.dumps(good) + "\n{broken\n")
    result = run("import", str(path), "--json")
    assert result.exit_code == 1
    problem, summary = jsonl(result.stdout)
    assert problem["line"] == 2 and problem["message"].startswith("not valid JSON")
    assert summary == {"stored": 1, "duplicates": 0, "rejected": 1}
    assert result.stderr == ""
    as_csv = run("import", str(path), "--csv")
    assert as_csv.stdout.splitlines()[0] == "line,message" and as_csv.stdout.splitlines()[1].startswith('2,"not valid JSON')
    assert as_csv.stderr.splitlines() == ["stored 0, duplicates 1, rejected 1"]


def test_receipts(run):
    appended = run("append", "contact", "--customer", "C-1", "--event-id", "E-9", "channel=sms", "--format", "json")
    assert json.loads(appended.stdout) == {"event_id": "E-9", "position": 3, "duplicate": False}
    voided = run("void", "E-9", "--reason", "test", "--json")
    assert json.loads(voided.stdout)["position"] == 4
    corrected = run("correct", "E-2", "amount=11.50", "--csv")
    assert corrected.stdout.splitlines()[0] == "event_id,position,duplicate"


def test_the_lag_of_the_read_models_is_a_note_on_stderr(run):
    before = run("customers", "--json")
    assert before.stderr == 'note: read models are 2 events behind the log; run "ledger projections run"\n'
    assert [row["customer"] for row in jsonl(before.stdout)] == ["C-1"]
    assert run("projections", "run").exit_code == 0
    after = run("customers", "--json")
    assert after.stderr == "" and after.stdout == before.stdout


def test_audit_and_operator_commands_print_in_every_format(run, tmp_path):
    report = json.loads(run("verify", "--json").stdout)
    assert (report["events"], report["streams"]) == (2, 1)
    (tmp_path / "digest.json").write_text(run("digest").stdout)
    assert json.loads((tmp_path / "digest.json").read_text())["position"] == 2
    assert "digest at position 2 proven" in run("verify", "--digest", str(tmp_path / "digest.json")).stdout
    assert any(line.split()[:1] == ["root"] for line in run("digest", "--format", "table").stdout.splitlines())
    rebuilt = json.loads(run("projections", "rebuild", "--json").stdout)
    assert rebuilt["events"] == 2 and rebuilt["projections"] == ["profiles", "complaints", "satisfaction"]
    status = run("projections", "status", "--csv").stdout.splitlines()
    assert status[0] == "name,code_version,stored_version,generation,position,behind,advanced_at,updated_at,state"
    assert [line.split(",")[0] for line in status[1:]] == ["profiles", "complaints", "satisfaction"]


def test_rfm_export_as_a_table_for_people(run):
    table = run("export", "rfm", "--as-of", "2024-01-31", "--format", "table").stdout.splitlines()
    assert table[0].split() == ["customer", "frequency", "recency", "T", "monetary_value"]
    assert table[2].split() == ["C-1", "0.0000", "0.0000", "29.0000", "0.0000"]


def test_a_plain_path_is_a_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["--db", "books.db", "append", "contact", "--customer", "C-1", "channel=web"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "books.db").exists()
