"""The JSON output reference is what the commands print; --format and --quiet on every command that prints."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main
from cli_commands.output_reference import COMMANDS, REGENERATE, json_fields, reference, resolve
from cli_commands.reference import walk
from ledger.application import Ledger

ROOT = Path(__file__).parents[2]
EVENTS = [
    {"type": "customer_registered", "customer": "C-1", "occurred_at": "2024-01-01", "data": {"segment": "retail"}},
    {"type": "purchase", "customer": "C-1", "occurred_at": "2024-01-02", "data": {"order_id": "O-1", "amount": "10.50"}},
]
# Commands that print data without --format: what they print is a file format of its own.
OWN_FORMAT = {"ledger generate": "JSON Lines to import", "ledger rates sample": "the ECB's CSV layout"}


def documented(command: str) -> list[str]:
    for commands, shape in COMMANDS:
        if command == commands or ("(" not in commands and command in commands.split(", ")):
            return list(shape) if isinstance(shape, dict) else [name for name, _ in json_fields(resolve(shape))]
    raise KeyError(command)


@pytest.fixture
def run(db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("LEDGER_DB", "LEDGER_CONFIG", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    db = db_url

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, ["--db", db, *args], input=input, catch_exceptions=False)

    lines = "".join(json.dumps(event) + "\n" for event in EVENTS)
    assert invoke("import", "-q", "-", input=lines).exit_code == 0
    rates = CliRunner().invoke(main, ["rates", "sample", "--from", "2023-12-01", "--to", "2024-02-01"]).stdout
    (tmp_path / "rates.csv").write_text(rates)
    assert invoke("rates", "import", str(tmp_path / "rates.csv")).exit_code == 0
    assert invoke("projections", "rebuild", "-q").exit_code == 0
    return invoke


def test_docs_output_md_is_generated_from_the_result_types():
    current = (ROOT / "docs" / "output.md").read_text()
    assert current == reference(), f"docs/output.md differs from the result types: regenerate it with `{REGENERATE}`"


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["append", "contact", "--customer", "C-2", "--format", "json", "channel=web"], "append"),
        (["log"], "log"),
        (["profile", "C-1", "--as-of", "2024-01-31"], "profile"),
        (["customers", "--as-of", "2024-01-31"], "customers"),
        (["trends", "--from", "2024-01-01", "--to", "2024-01-31", "--as-of", "2024-01-31"], "trends"),
        (["projections", "status"], "projections status"),
        (["projections", "rebuild", "profiles"], "projections rebuild"),
        (["projections", "run"], "projections run"),
        (["verify"], "verify"),
        (["digest"], "digest"),
        (["export", "rfm", "--as-of", "2024-01-31"], "export rfm"),
    ],
)
def test_every_json_line_has_exactly_the_documented_fields(run, args, command):
    result = run(*args, *([] if "--format" in args else ["--json"]))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines
    for line in lines:
        assert list(line) == documented(command)


def test_import_in_json_prints_its_documented_problem_lines_and_summary(run):
    bad = json.dumps(dict(EVENTS[0], customer="")) + "\n"
    result = run("import", "--json", "-", input=bad)
    problem, summary = (json.loads(line) for line in result.stdout.splitlines())
    assert (list(problem), list(summary)) == (documented("import"), documented("import (its last line)"))


def test_every_command_that_prints_data_takes_format_and_is_documented():
    documented_commands = {f"ledger {name}" for commands, _ in COMMANDS for name in commands.partition(" (")[0].split(", ")}
    for ctx in walk(main):
        options = {opt for param in ctx.command.params if isinstance(param, click.Option) for opt in param.opts}
        if ctx.command_path in documented_commands:
            assert "--format" in options, ctx.command_path
    for path in OWN_FORMAT:
        assert path not in documented_commands


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("customers", ["customers"]),
        ("trends", ["trends"]),
        ("complaints", ["complaints"]),
        ("export_rfm", ["export", "rfm", "--as-of", "2024-01-31"]),
        ("rebuild", ["projections", "rebuild"]),
        ("catch_up", ["projections", "run"]),
    ],
)
def test_quiet_turns_the_progress_bar_off(run, monkeypatch, method, args):
    asked = []
    real = getattr(Ledger, method)

    def recording(self, *positional, progress=False, **options):
        asked.append(progress)
        return real(self, *positional, progress=progress, **options)

    monkeypatch.setattr(Ledger, method, recording)
    assert run(*args).exit_code == 0
    assert run(*args, "--quiet").exit_code == 0
    assert asked == [True, False]


@pytest.mark.parametrize("args", [["projections", "rebuild"], ["projections", "run"], ["verify"], ["import", "-"]])
def test_quiet_silences_the_summary(run, args):
    loud = run(*args, input="")
    quiet = run(*args, "-q", input="")
    assert loud.exit_code == quiet.exit_code == 0
    assert loud.output.strip() and quiet.output == ""
