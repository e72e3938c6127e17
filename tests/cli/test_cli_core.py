"""End-to-end CLI tests for the write and read entry points, through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from ledger.application import Ledger
from ledger.config import LedgerConfig


@pytest.fixture
def run(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None):
        return runner.invoke(main, ["--db", sqlite_url, *args], input=input, catch_exceptions=False)

    return invoke


def stored(url: str) -> list[dict]:
    with Ledger(url, config=LedgerConfig()) as ledger:
        return [e.to_json_dict() for e in ledger.log(limit=10_000)]


def line(event_type: str, customer: str = "C-1", at: str = "2024-05-01", **data) -> str:
    return json.dumps({"type": event_type, "customer": customer, "occurred_at": at, "data": data})


def test_append_with_fields_and_json(run, sqlite_url):
    result = run(
        "append",
        "purchase",
        "--customer",
        "C-1",
        "--at",
        "2024-05-01",
        "--event-id",
        "E-1",
        "order_id=O-1",
        "amount=19.90",
        "currency=EUR",
        "--source",
        "shop",
    )
    assert result.exit_code == 0, result.output
    assert result.output == "E-1 at position 1 (stored)\n"
    again = run("append", "purchase", "--customer", "C-1", "--event-id", "E-1", "order_id=O-1", "amount=19.90")
    assert "E-1 at position 1 (duplicate, already stored)" in again.output
    result = run("append", "customer_registered", "--customer", "C-1", "--json", '{"name": "Ana"}', "attributes.tier=gold")
    assert result.exit_code == 0, result.output
    events = stored(sqlite_url)
    assert events[0]["data"] == {"order_id": "O-1", "currency": "EUR", "amount": "19.90", "quantity": 1}
    assert events[0]["source"] == "shop"
    assert events[1]["data"]["attributes"] == {"tier": "gold"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["purchase", "--customer", "C-1", "order_id=O-1", "amount=-1"],
            1,
            "Error: data.amount: Input should be greater than or equal to 0",
        ),
        (
            ["purchase", "--customer", "C-1", "order_id=O-1", "amount=1", "currency=XYZ"],
            1,
            "data.currency: unknown currency code: XYZ",
        ),
        (
            ["survey_answered", "--customer", "C-1", "survey_id=S", "kind=csat", "score=6"],
            1,
            "data.score: 6 is outside 1..5 for csat",
        ),
        (["contact", "--customer", "C-1", "channel=web", "mood=happy"], 1, "data.mood: unknown field"),
        (["contact", "--customer", "", "channel=web"], 1, "customer:"),
        (
            ["contact", "--customer", "C-1", "--at", "2999-01-01", "channel=web"],
            1,
            "occurred_at: 2999-01-01T00:00:00Z is in the future",
        ),
        (["refund", "--customer", "C-1", "order_id=O-9", "amount=5"], 1, "data.order_id: no purchase with order_id O-9"),
        (["complaint_resolved", "--customer", "C-1", "complaint_id=K-1"], 1, "no complaint K-1 for this customer"),
        (
            ["contact", "--customer", "C-1", "--at", "soon", "channel=web"],
            2,
            "Invalid value for --at: not an ISO 8601 date or datetime: 'soon'",
        ),
        (["visit", "--customer", "C-1"], 2, "Invalid value for 'TYPE'"),
        (["contact", "--customer", "C-1", "channel"], 2, "expected key=value"),
        (["contact", "--customer", "C-1", "--json", "[1]"], 2, "expected a JSON object"),
    ],
)
def test_append_bad_input(run, sqlite_url, args, code, message):
    result = run("append", *args)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output
    assert stored(sqlite_url) == []


def test_import_jsonl_reports_bad_lines_and_is_idempotent(run, sqlite_url, tmp_path):
    lines = [
        line("purchase", order_id="O-1", amount="10"),
        line("refund", order_id="O-1", amount="20"),  # more than paid
        "{not json",
        line("survey_answered", survey_id="S-1", kind="nps", score=11),
        json.dumps({"type": "contact", "customer": "C-2", "data": {"channel": "web"}}),  # no occurred_at
        "",
        line("contact", customer="C-2", channel="web", duration_s=30),
        "[1, 2]",
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run("import", str(path))
    assert result.exit_code == 1
    err = result.output.splitlines()
    assert f"{path}:2: data.amount: refund of 20 EUR exceeds the 10.00 EUR still unrefunded on order O-1" in err
    assert any(e.startswith(f"{path}:3: not valid JSON") for e in err)
    assert f"{path}:4: data.score: 11 is outside 0..10 for nps" in err
    assert f"{path}:5: occurred_at: missing" in err
    assert f"{path}:8: expected a JSON object, got list" in err
    assert err[-1] == "stored 2, duplicates 0, rejected 5"
    assert [e["type"] for e in stored(sqlite_url)] == ["purchase", "contact"]
    again = run("import", str(path))
    assert again.output.splitlines()[-1] == "stored 0, duplicates 2, rejected 5"
    assert len(stored(sqlite_url)) == 2


def test_import_strict_stores_nothing_unless_all_valid(run, sqlite_url, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([line("purchase", order_id="O-1", amount="10"), line("refund", order_id="O-1", amount="11")]))
    result = run("import", "--strict", str(path))
    assert result.exit_code == 1
    assert "stored 0, duplicates 0, rejected 1 (strict: nothing stored)" in result.output
    assert stored(sqlite_url) == []
    path.write_text("\n".join([line("purchase", order_id="O-1", amount="10"), line("refund", order_id="O-1", amount="10")]))
    assert run("import", "--strict", str(path)).exit_code == 0
    assert len(stored(sqlite_url)) == 2


def test_import_from_stdin_with_batches(run, sqlite_url):
    text = "\n".join(line("contact", customer=f"C-{n}", channel="web") for n in range(25))
    result = run("import", "-", "--batch-size", "7", input=text)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "stored 25, duplicates 0, rejected 0"
    assert [e["position"] for e in stored(sqlite_url)] == list(range(1, 26))


def test_import_file_that_is_not_utf8(run, sqlite_url, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        line("contact", channel="web").encode() + b"\n" + '{"type": "contact", "customer": "Jos\xe9"}'.encode("latin-1") + b"\n"
    )
    result = run("import", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: not valid UTF-8" in result.output
    assert len(stored(sqlite_url)) == 1


def test_import_csv_with_type_option_and_dotted_columns(run, sqlite_url, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer,occurred_at,event_id,data.name,email,attributes.tier\n"
        "C-1,2024-01-01,R-1,Ana,ana@example.com,gold\n"
        "C-2,2024-01-02,R-2,Bo,,\n"
        "C-3,2024-01-03,R-3,Cy,not-an-email,\n"
    )
    result = run("import", "--type", "customer_registered", str(path))
    assert result.exit_code == 1
    assert f"{path}:4: data.email: String should match pattern" in result.output
    events = stored(sqlite_url)
    assert [e["customer"] for e in events] == ["C-1", "C-2"]
    assert events[0]["data"]["attributes"] == {"tier": "gold"}
    assert "email" not in events[1]["data"]


def test_import_csv_with_type_column_and_without(run, sqlite_url, tmp_path):
    typed = tmp_path / "mixed.csv"
    typed.write_text(
        "type,customer,occurred_at,channel,order_id,amount\ncontact,C-1,2024-01-01,web,,\npurchase,C-1,2024-01-02,,O-1,5\n"
    )
    assert run("import", str(typed)).exit_code == 0
    untyped = tmp_path / "contacts.csv"
    untyped.write_text("customer,occurred_at,channel\nC-1,2024-01-01,web\n")
    result = run("import", str(untyped))
    assert result.exit_code == 1
    assert "no 'type' column; name the type with --type" in result.output
    assert len(stored(sqlite_url)) == 2


def test_import_missing_file_is_a_usage_error(run):
    result = run("import", "nope.jsonl")
    assert result.exit_code == 2


def test_timeline_and_log(run, sqlite_url):
    run("append", "contact", "--customer", "C-1", "--at", "2024-01-01", "channel=web", "topic=delivery")
    run("append", "purchase", "--customer", "C-1", "--at", "2024-02-01", "order_id=O-1", "amount=5")
    run("append", "contact", "--customer", "C-2", "--at", "2024-03-01", "channel=sms")
    text = run("timeline", "C-1")
    assert text.exit_code == 0
    assert "contact" in text.output and "channel=web topic=delivery" in text.output and "C-2" not in text.output
    as_of = run("timeline", "C-1", "--as-of", "2024-01-31", "--json")
    assert [json.loads(x)["type"] for x in as_of.output.splitlines()] == ["contact"]
    logged = run("log", "--after", "1", "--limit", "1", "--json")
    (only,) = [json.loads(x) for x in logged.output.splitlines()]
    assert (only["position"], only["type"], only["customer"]) == (2, "purchase", "C-1")
    missing = run("timeline", "C-9")
    assert missing.exit_code == 1
    assert missing.output == "Error: unknown customer: 'C-9'\n"


def test_bad_database_url_is_one_line(run, tmp_path):
    result = CliRunner().invoke(main, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", "log"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot open database")
    assert len(result.output.splitlines()) == 1


def test_bad_config_file_is_a_usage_error(run, tmp_path):
    (tmp_path / "ledger.toml").write_text("[ledger]\ncurrency = 'XXX'\n")
    result = run("log")
    assert result.exit_code == 2
    assert "ledger.currency" in result.output


def _commands(group, prefix=""):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_has_help_with_an_example_and_is_in_the_cli_reference():
    reference = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    for name, command in _commands(main):
        assert command.help and "Example:" in command.help, name
        assert f"\n## ledger {name}\n" in reference, f"docs/cli.md does not document 'ledger {name}'"
