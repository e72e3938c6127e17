"""Start-up as a user waits for it: whole processes of the console script, and what query commands load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

LEDGER = str(Path(sys.executable).with_name("ledger"))
# Libraries of other commands (the report's charts, the warehouse's Parquet, the HTTP server, bench's tables):
# a query loads none of them.
OTHER_COMMANDS = ("plotly", "narwhals", "pyarrow", "fastapi", "uvicorn", "starlette", "tabulate", "duckdb")


def environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in ("LEDGER_DB", "LEDGER_CONFIG", "COLUMNS")}


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "ledger.db")
    events = [
        {"type": "customer_registered", "customer": "C-1", "occurred_at": "2024-01-01", "data": {"segment": "retail"}},
        {"type": "contact", "customer": "C-1", "occurred_at": "2024-01-02", "data": {"channel": "web"}},
    ]
    lines = "".join(json.dumps(event) + "\n" for event in events)
    assert CliRunner().invoke(main, ["--db", path, "import", "-q", "-"], input=lines).exit_code == 0
    assert CliRunner().invoke(main, ["--db", path, "projections", "rebuild", "-q"]).exit_code == 0
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["profile", "C-1"],
        *(pytest.param(args, marks=pytest.mark.slow) for args in (["trends"], ["customers"], ["timeline", "C-1"])),
    ],
)
def test_a_query_loads_no_library_of_other_commands(db, args):
    code = (
        "import sys\nfrom cli import main\n"
        f"try:\n    main({['--db', db, *args]!r})\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({OTHER_COMMANDS!r})), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment())
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "[]"


def test_a_query_builds_no_event_model(db):
    """The event models build their validators when first used: a query, which validates no event data, builds none."""
    code = (
        "import json, sys\nfrom cli import main\nfrom commands.event_fields import EventData\n"
        f"try:\n    main({['--db', db, 'profile', 'C-1']!r})\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        "def models(base):\n    for model in base.__subclasses__():\n        yield model\n        yield from models(model)\n"
        "found = list(models(EventData))\n"
        "print(json.dumps([len(found), [m.__name__ for m in found if m.__pydantic_complete__]]), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment())
    assert result.returncode == 0, result.stderr
    count, built = json.loads(result.stderr.splitlines()[-1])
    assert count > 10 and built == []


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_take_under_0_3_s_as_whole_processes(flag):
    seconds = []
    for _ in range(5):
        started = time.perf_counter()
        result = subprocess.run([LEDGER, flag], capture_output=True, timeout=60, env=environment())
        seconds.append(time.perf_counter() - started)
        assert result.returncode == 0
    # The fastest of five: the machine's other load only ever adds to a run.
    assert min(seconds) < 0.3, seconds


@pytest.mark.slow
def test_the_console_script_ends_with_the_commands_exit_code_and_all_its_output(db):
    listed = subprocess.run([LEDGER, "--db", db, "log", "--json"], capture_output=True, text=True, timeout=120, env=environment())
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["type"] for line in listed.stdout.splitlines()] == ["customer_registered", "contact"]
    unknown = subprocess.run(
        [LEDGER, "--db", db, "profile", "C-9"], capture_output=True, text=True, timeout=120, env=environment()
    )
    assert unknown.returncode == 1 and unknown.stderr.startswith("Error: ")
    usage = subprocess.run(
        [LEDGER, "--db", db, "log", "--json", "--csv"], capture_output=True, text=True, timeout=60, env=environment()
    )
    assert usage.returncode == 2 and "csv and json" in usage.stderr
