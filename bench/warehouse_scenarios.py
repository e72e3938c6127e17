"""The warehouse export's scenario: the populated log into a new Parquet warehouse."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.context import RunContext
from bench.measure import Measurement, check, rate
from ledger.application import Ledger
from ledger.config import LedgerConfig


def export_warehouse(context: RunContext) -> Measurement:
    """Export every event of the populated database (a million at full size) into a new warehouse directory."""
    assert context.populated_url is not None
    with Ledger(context.populated_url, config=LedgerConfig()) as ledger, tempfile.TemporaryDirectory(dir=context.workdir) as out:
        head = ledger.store.max_position()
        started = time.perf_counter()
        found = ledger.export_warehouse(Path(out) / "warehouse")
        seconds = time.perf_counter() - started
    check(found.events == head, f"exported {found.events} events of {head}")
    return rate(found.events, seconds)
