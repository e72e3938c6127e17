"""Start-up and query commands as whole processes: ``ledger --help``, ``--version``, ``profile``, ``trends``, ``customers``.

What a user waits for is the process: the interpreter's start, the imports, opening
the database, the query, printing, and the interpreter's exit. Each sample is one
child process, timed from its start to its exit; the scenario's figure is the median.
The baseline is the least any such command pays: a Python process importing
SQLAlchemy and pydantic, and nothing else. The customer list is also compared with
its query alone, in process (``customers query``), to show what printing costs; at the
quick size start-up outweighs both, so that ratio speaks only at full size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.context import RunContext
from bench.measure import Measurement, check, median_latency

# Processes per run: each takes about a second; the median of several evens out the machine's noise.
SAMPLES = 5
COMMAND_TIMEOUT_S = 600
CUSTOMER = "C-000001"
BASELINE_CODE = "import sqlalchemy, pydantic"


def baseline_imports(context: RunContext) -> Measurement:
    """Start Python, import SQLAlchemy and pydantic, exit: what any command of the ledger pays at the least."""
    return _median_of([sys.executable, "-c", BASELINE_CODE])


def help_command(context: RunContext) -> Measurement:
    """Run ``ledger --help``."""
    return _median_of([_ledger(), "--help"], needle=b"Usage:")


def version_command(context: RunContext) -> Measurement:
    """Run ``ledger --version``."""
    return _median_of([_ledger(), "--version"], needle=b"version")


def profile_command(context: RunContext) -> Measurement:
    """Run ``ledger profile C-000001`` on the projected database (a table for people)."""
    return _median_of([_ledger(), "--db", _projected(context), "profile", CUSTOMER], needle=CUSTOMER.encode())


def trends_command(context: RunContext) -> Measurement:
    """Run ``ledger trends`` (by month, every customer, from the read models) on the projected database."""
    return _median_of([_ledger(), "--db", _projected(context), "trends"], needle=b"period")


def customers_command(context: RunContext) -> Measurement:
    """Run ``ledger customers``: every customer of the projected database printed as a table."""
    return _median_of([_ledger(), "--db", _projected(context), "customers"], needle=CUSTOMER.encode())


def customers_query(context: RunContext) -> Measurement:
    """Ask for every customer in process (the query alone: no start-up, no printing); median of the runs."""
    from ledger.application import Ledger
    from ledger.config import LedgerConfig

    samples = []
    with Ledger(_projected(context), config=LedgerConfig(), create=False) as ledger:
        for _ in range(SAMPLES):
            started = time.perf_counter()
            found = ledger.customers()
            samples.append(time.perf_counter() - started)
    check(len(found) > 0, "no customers in the projected database")
    return median_latency(samples)


def _ledger() -> str:
    return str(Path(sys.executable).with_name("ledger"))


def _projected(context: RunContext) -> str:
    assert context.projected_url is not None
    return context.projected_url


def _median_of(command: list[str], needle: bytes | None = None) -> Measurement:
    """Run command SAMPLES times after one untimed run (which warms the file cache); the median wall time in ms."""
    environment = {name: value for name, value in os.environ.items() if name not in ("LEDGER_DB", "LEDGER_CONFIG", "COLUMNS")}
    samples = []
    for sample in range(SAMPLES + 1):
        started = time.perf_counter()
        finished = subprocess.run(command, capture_output=True, env=environment, timeout=COMMAND_TIMEOUT_S, check=False)
        seconds = time.perf_counter() - started
        shown = " ".join(command[1:])
        check(finished.returncode == 0, f"{shown} exited {finished.returncode}: {finished.stderr.decode()[-300:]}")
        check(needle is None or needle in finished.stdout, f"{shown} printed no {needle!r}")
        if sample:
            samples.append(seconds)
    return median_latency(samples)
