"""Ctrl-C anywhere, in a real process with a real SIGINT: no traceback, exit 130, one line saying what was done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

LEDGER = str(Path(sys.executable).with_name("ledger"))
# A process that sends itself SIGINT the first time `target` runs, then runs the ledger command of its arguments.
INTERRUPTING = textwrap.dedent(
    """
    import importlib, os, signal, sys

    module_name, _, name = sys.argv[1].rpartition(".")
    owner = importlib.import_module(module_name.split(":")[0])
    for attribute in module_name.partition(":")[2].split(".") if ":" in module_name else []:
        owner = getattr(owner, attribute)
    real = getattr(owner, name)
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)

    setattr(owner, name, interrupted)
    from cli import main

    main(sys.argv[3:], prog_name="ledger")
    """
)


def interrupt_at(target: str, *args: str, call: int = 1) -> subprocess.CompletedProcess[str]:
    """Run `ledger ARGS` in a new process that receives SIGINT on the call-th call of target (module[:Class].function)."""
    command = [sys.executable, "-c", INTERRUPTING, target, str(call), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=_environment())


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in ("LEDGER_DB", "LEDGER_CONFIG", "COLUMNS")}


@pytest.fixture
def db(db_url, tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    for name in ("LEDGER_DB", "LEDGER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    path = db_url
    runner = CliRunner()
    events = runner.invoke(main, ["generate", "--customers", "40", "--seed", "2", "--from", "2024-01-01", "--to", "2024-06-30"])
    assert runner.invoke(main, ["--db", path, "import", "-q", "-"], input=events.stdout).exit_code == 0
    rates = runner.invoke(main, ["rates", "sample", "--from", "2023-12-01", "--to", "2024-07-31"])
    (tmp_path / "rates.csv").write_text(rates.stdout)
    assert runner.invoke(main, ["--db", path, "rates", "import", str(tmp_path / "rates.csv")]).exit_code == 0
    assert runner.invoke(main, ["--db", path, "projections", "rebuild", "-q"]).exit_code == 0
    return path


def assert_interrupted(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_rebuild_interrupted_says_how_far_it_got_and_keeps_the_old_tables(db):
    before = json.loads(CliRunner().invoke(main, ["--db", db, "projections", "status", "--json"]).stdout.splitlines()[0])
    result = interrupt_at("ledger.rebuild._flush", "--db", db, "projections", "rebuild", "profiles")
    line = assert_interrupted(result)
    head = before["position"]
    assert line == (
        f"Interrupted: rebuild of profiles interrupted after {head} of {head} events;"
        " nothing was switched: the old tables stay in use, and the next rebuild starts over"
    )
    after = json.loads(CliRunner().invoke(main, ["--db", db, "projections", "status", "--json"]).stdout.splitlines()[0])
    assert (after["name"], after["position"], after["state"]) == (before["name"], head, before["state"])
    assert CliRunner().invoke(main, ["--db", db, "projections", "rebuild", "-q", "profiles"]).exit_code == 0


def test_an_import_interrupted_says_what_it_stored(db, tmp_path):
    lines = [
        json.dumps({"type": "contact", "customer": f"N-{n}", "occurred_at": "2024-07-01", "data": {"channel": "web"}})
        for n in range(5)
    ]
    (tmp_path / "more.jsonl").write_text("\n".join(lines) + "\n")
    result = interrupt_at(
        "ledger.importing._apply", "--db", db, "import", "--batch-size", "2", str(tmp_path / "more.jsonl"), call=2
    )
    line = assert_interrupted(result)
    assert line.startswith("Interrupted: import interrupted: stored 2, duplicates 0, rejected 0 through line 2;")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("ledger.storage.store:EventStore.log", ["log"]),
        pytest.param("ledger.storage.store:EventStore.stream", ["timeline", "C-000001"], marks=pytest.mark.slow),
        pytest.param("ledger.application_operations.verify_log", ["verify"], marks=pytest.mark.slow),
        pytest.param("ledger.output.write_rows", ["customers"], marks=pytest.mark.slow),
    ],
)
def test_a_query_interrupted_ends_with_one_line(db, target, args):
    result = interrupt_at(target, "--db", db, *args)
    assert assert_interrupted(result) == "Interrupted."


@pytest.mark.slow
def test_ctrl_c_at_any_moment_of_a_command_never_prints_a_traceback(db):
    # From when the interpreter has started (a Ctrl-C within its own start-up is Python's to report).
    for delay in (0.3, 0.45, 0.6, 0.8, 1.0, 1.3):
        process = subprocess.Popen(
            [LEDGER, "--db", db, "customers"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_environment()
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, (delay, stderr)
        assert process.returncode in (0, 130), (delay, process.returncode, stderr)
        if process.returncode == 130:
            assert stderr.splitlines()[-1:] == ["Interrupted."] and len(stderr.splitlines()) == 1, (delay, stderr)


def test_the_exit_code_of_an_interruption_is_the_ledgers():
    import cli
    from cli_commands import entry
    from ledger import ExitCode

    assert cli.INTERRUPTED == entry.INTERRUPTED == ExitCode.INTERRUPTED
