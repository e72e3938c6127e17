"""Whole commands, as a user waits for them: ``ledger import`` and ``ledger projections rebuild`` in a process of their own.

The in-process scenarios leave out what a user's command also pays: the interpreter's
start, the imports, opening the database and the interpreter's exit. Each command runs
in a child process of the scenario's process, so its memory counts in the scenario's
peak (``bench.measure.TreeMemory`` sums the process tree). The clock runs from the
start of the command to its exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path

from bench.context import RunContext
from bench.measure import Measurement, check, rate
from ledger.application import Ledger
from ledger.config import LedgerConfig

COMMAND_TIMEOUT_S = 1800


def import_command(context: RunContext) -> Measurement:
    """Run ``ledger import FILE`` into an empty ledger (PostgreSQL: the file's first lines, as ``import (PostgreSQL)``)."""
    count = context.count(sqlite=context.events, postgres=min(context.size.postgres_bulk, context.events))
    path = context.events_file
    if count < context.events:
        path = str(Path(context.workdir) / f"first-{count}.jsonl")
        with open(context.events_file, "rb") as source, open(path, "wb") as target:
            target.writelines(islice(source, count))
    with context.fresh_database() as url:
        seconds = _run(url, "import", path)
        with Ledger(url, config=LedgerConfig(), create=False) as ledger:
            stored = ledger.store.max_position()
    check(stored == count, f"stored {stored} events of {count}")
    return rate(count, seconds)


def rebuild_command(context: RunContext) -> Measurement:
    """Run ``ledger projections rebuild`` on the projected database: every read model into new tables, then the switch."""
    assert context.projected_url is not None
    with Ledger(context.projected_url, config=LedgerConfig(), create=False) as ledger:
        head = ledger.store.max_position()
    seconds = _run(context.projected_url, "projections", "rebuild")
    check(head >= context.events, f"the projected database holds {head} events, fewer than the file's {context.events}")
    return rate(head, seconds)


def _run(url: str, *arguments: str) -> float:
    """Run a ledger command on a database and return how long it took; fail the run if it fails."""
    command = [str(Path(sys.executable).with_name("ledger")), "--db", url, *arguments]
    environment = {**os.environ, "LEDGER_DB": url}
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, env=environment, timeout=COMMAND_TIMEOUT_S, check=False)
    seconds = time.perf_counter() - started
    check(finished.returncode == 0, f"{' '.join(arguments)} exited {finished.returncode}: {finished.stderr.decode()[-300:]}")
    return seconds
