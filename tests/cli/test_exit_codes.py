"""Each exit code of ExitCode, reached through the CLI, with one line on stderr and no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from cli import main
from ledger import ExitCode, Ledger
from ledger.config import LedgerConfig


@pytest.fixture
def run(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_CONFIG", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", sqlite_url, *args])

    return invoke


def one_line_error(result) -> str:
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    return line


def test_the_codes():
    assert [(code.name, int(code)) for code in ExitCode] == [
        ("OK", 0),
        ("DATA_ERROR", 1),
        ("USAGE_ERROR", 2),
        ("VERIFICATION_FAILED", 3),
        ("INTERRUPTED", 130),
    ]


def test_ok(run):
    result = run("append", "contact", "--customer", "C-1", "channel=web")
    assert result.exit_code == ExitCode.OK
    assert result.stderr == ""


def test_data_error(run):
    assert run("append", "contact", "--customer", "C-1", "channel=web").exit_code == ExitCode.OK
    result = run("timeline", "C-404")
    assert result.exit_code == ExitCode.DATA_ERROR
    assert one_line_error(result) == "Error: unknown customer: 'C-404'"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["timeline"], "Missing argument 'CUSTOMER'"),
        (["log", "--limit", "0"], "Invalid value for '--limit'"),
        (["log", "--format", "yaml"], "'yaml' is not one of 'table', 'json', 'csv'"),
        (["log", "--json", "--csv"], "choose one output format, not csv and json"),
        (["log", "--format", "table", "--json"], "choose one output format, not json and table"),
        (["nope"], "No such command 'nope'"),
    ],
)
def test_usage_error(run, args, message):
    result = run(*args)
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_usage_error_raised_by_the_ledger(run, tmp_path):
    (tmp_path / "ledger.toml").write_text("[ledger]\ncurrency = 'XXX'\n")
    result = run("log")
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert one_line_error(result).startswith("Error: ") and "ledger.currency" in result.stderr


def test_verification_failed(run, sqlite_url):
    for n in range(3):
        assert run("append", "contact", "--customer", "C-1", "--event-id", f"E-{n}", f"topic=t{n}", "channel=web").exit_code == 0
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger:
        events = ledger.store.events_table
        with ledger.store.engine.begin() as connection:
            state = connection.execute(events.select().where(events.c.id == 2)).one().state
            changed = bytes(state).replace(b'"t1"', b'"t9"')
            connection.execute(update(events).where(events.c.id == 2).values(state=changed))
    result = run("verify")
    assert result.exit_code == ExitCode.VERIFICATION_FAILED
    assert one_line_error(result).startswith("Error: verification failed at position 2")


@pytest.mark.parametrize(
    ("method", "args"),
    [("log", ["log"]), ("import_file", ["import", "-"]), ("catch_up", ["projections", "run"])],
)
def test_interrupted(run, sqlite_url, monkeypatch, method, args):
    Ledger(sqlite_url, config=LedgerConfig()).close()  # a ledger to read: a missing one is a data error first

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Ledger, method, interrupted)
    result = run(*args)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert one_line_error(result) == "Interrupted."
    assert result.stdout == ""


def test_an_unexpected_error_is_not_hidden(run, sqlite_url, monkeypatch):
    Ledger(sqlite_url, config=LedgerConfig()).close()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Ledger, "log", broken)
    result = run("log")
    assert isinstance(result.exception, RuntimeError)
    assert "Error: a bug" not in result.output
