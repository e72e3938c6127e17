"""Mistyped and confusing invocations: usage errors name the option, a missing ledger is never created by a read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

CONTACT = {"type": "contact", "customer": "C-1", "occurred_at": "2024-01-01", "data": {"channel": "web"}}


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("LEDGER_CONFIG", "LEDGER_DB"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def filled(cli, tmp_path) -> str:
    db = str(tmp_path / "ledger.db")
    assert cli("--db", db, "import", "-", input=json.dumps(CONTACT) + "\n").exit_code == 0
    return db


@pytest.mark.parametrize("command", [["log"], ["timeline", "C-1"], ["verify"], ["customers"], ["projections", "status"]])
def test_a_read_of_a_mistyped_db_path_says_no_ledger_and_creates_nothing(cli, tmp_path, command):
    typo = tmp_path / "ledgr.db"
    result = cli("--db", str(typo), *command)
    assert result.exit_code == 1, result.output
    assert f"no ledger at sqlite:///{typo}" in result.output
    assert not typo.exists()


def test_a_read_of_a_database_without_ledger_tables_says_no_ledger(cli, tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    result = cli("--db", str(other), "verify")
    assert (result.exit_code, "no ledger at" in result.output) == (1, True)


def test_db_and_config_are_accepted_after_the_subcommand(cli, filled, tmp_path):
    (tmp_path / "other.toml").write_text('[ledger]\ntimezone = "UTC"\n')
    result = cli("log", "--json", "--db", filled, "--config", str(tmp_path / "other.toml"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["customer"] == "C-1"


def test_a_bad_database_url_is_a_usage_error_without_its_password(cli):
    result = cli("--db", "mysql://ana:s3cret@db.example/ledger", "log")
    assert result.exit_code == 2
    assert "mysql://ana:***@db.example/ledger" in result.output
    assert "s3cret" not in result.output


@pytest.mark.postgres
def test_a_postgresql_url_selects_psycopg(cli):
    base = os.environ.get("LEDGER_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("needs LEDGER_TEST_POSTGRES_URL")
    from ledger.application import Ledger
    from ledger.config import LedgerConfig

    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with Ledger(plain, config=LedgerConfig()) as ledger:
        assert ledger.url.startswith("postgresql+psycopg://")
    with Ledger(plain.replace("postgresql://", "postgres://"), config=LedgerConfig()) as ledger:
        assert ledger.url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["trends", "--from", "2024-03-01", "--to", "2024-01-01"], "--from"),
        (["export", "events", "--from", "2024-03-01", "--to", "2024-01-01"], "--from"),
        (["trends", "--channel", "pigeon"], "--channel"),
        (["log", "--json", "--csv"], "csv and json"),
        (["trends", "--format", "json", "--csv"], "csv and json"),
        (["export", "rfm", "--as-of", "2024-12-31", "--json", "--format", "csv"], "csv and json"),
        (["customers", "--segment", "whales"], "--segment"),
        (["complaints", "--as-of", "someday"], "--as-of"),
        (["generate", "--from", "2024-03-01", "--to", "2024-01-01"], "--from"),
        (["rates", "sample", "--from", "2024-03-01", "--to", "2024-01-01"], "--from"),
        (["trends", "--as-of", "9999-12-31"], "--as-of"),
    ],
)
def test_confusing_options_are_usage_errors_naming_the_option(cli, filled, args, option):
    result = cli("--db", filled, *args)
    assert result.exit_code == 2, result.output
    assert option in result.output


def test_the_timeline_shows_each_events_event_id(cli, filled):
    result = cli("--db", filled, "timeline", "C-1")
    assert result.exit_code == 0
    assert "event_id" in result.output.splitlines()[0]
    assert "import-" in result.output


def test_export_writes_a_file_with_output(cli, filled, tmp_path):
    target = tmp_path / "audit.jsonl"
    result = cli("--db", filled, "export", "events", "--output", str(target))
    assert (result.exit_code, result.output) == (0, "")
    assert json.loads(target.read_text().splitlines()[0])["state"]["customer"] == "C-1"


def test_quiet_import_prints_no_summary_and_max_errors_stops(cli, tmp_path):
    db = str(tmp_path / "ledger.db")
    bad = dict(CONTACT, customer="")
    lines = "\n".join(json.dumps(e) for e in [CONTACT, bad, bad, dict(CONTACT, customer="C-2")]) + "\n"
    quiet = cli("--db", db, "import", "--quiet", "-", input=json.dumps(CONTACT) + "\n")
    assert (quiet.exit_code, quiet.output) == (0, "")
    stopped = cli("--db", db, "import", "--max-errors", "1", "-", input=lines)
    assert stopped.exit_code == 1
    assert "<stdin>:2:" in stopped.output and "<stdin>:3:" not in stopped.output
    assert "stopped at 1 rejected lines" in stopped.output


def test_ctrl_c_during_an_import_exits_130_with_what_was_stored(cli, tmp_path, monkeypatch):
    db = str(tmp_path / "ledger.db")
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(dict(CONTACT, customer=f"C-{n}")) + "\n" for n in range(5)))
    from ledger import output

    real_bar = output.progress_bar

    def interrupting_bar(total, description, **options):
        bar = real_bar(total, description, **options)
        bar.disable = False
        calls = []

        def update(read):
            calls.append(read)
            if len(calls) == 4:
                raise KeyboardInterrupt

        bar.update = update
        return bar

    monkeypatch.setattr(output, "progress_bar", interrupting_bar)
    result = cli("--db", db, "import", "--batch-size", "2", str(path))
    assert result.exit_code == 130
    assert "Traceback" not in result.output
    assert "Interrupted: import interrupted: stored 2, duplicates 0, rejected 0 through line 2" in result.output
    assert Path(db).exists()


def test_an_empty_import_says_so(cli, tmp_path):
    result = cli("--db", str(tmp_path / "ledger.db"), "import", "-", input="")
    assert result.exit_code == 0
    assert "stored 0, duplicates 0, rejected 0 (no events in the file: it is empty, or a CSV header line only)" in result.output


def test_a_trends_segment_no_customer_has_is_a_usage_error_naming_it(cli, db_url):
    db = db_url
    registered = {"type": "customer_registered", "customer": "C-1", "occurred_at": "2024-01-01", "data": {"segment": "retail"}}
    assert cli("--db", db, "import", "-", input=json.dumps(registered) + "\n").exit_code == 0
    assert cli("--db", db, "projections", "rebuild", "--quiet").exit_code == 0
    unknown = cli("--db", db, "trends", "--segment", "retial")
    assert unknown.exit_code == 2
    assert "Invalid value for --segment: no customer is in segment 'retial' (segments: retail)" in unknown.output
    assert cli("--db", db, "trends", "--segment", "retail").exit_code == 0
