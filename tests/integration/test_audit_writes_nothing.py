"""Verify and export only read: they create no table and store no row; only a digest stores a checkpoint."""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlalchemy import func, inspect, select

from ledger.application import Ledger
from ledger.audit import verify
from ledger.audit.chain import checkpoints_table
from ledger.config import LedgerConfig


def fill(ledger: Ledger) -> None:
    for n in range(6):
        ledger.append("contact", f"C-{n % 3}", {"channel": "web"}, occurred_at="2024-01-01", event_id=f"E-{n}")
    ledger.void("E-0", "entered twice")


def contents(path) -> dict[str, int]:
    """Return every table of a SQLite file with its row count, read without the ledger."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


@pytest.mark.parametrize("processes", ["one process", "two processes"])
def test_verify_and_export_run_on_a_read_only_sqlite_file(tmp_path, monkeypatch, processes):
    if processes == "two processes":
        monkeypatch.setattr(verify, "TWO_PROCESSES_FROM", 2)  # the second process opens the file read-only too
    path = tmp_path / "ledger.db"
    with Ledger(f"sqlite:///{path}", config=LedgerConfig()) as ledger:
        fill(ledger)
    before = contents(path)
    assert "ledger_checkpoints" not in before
    path.chmod(0o444)
    try:
        with Ledger(f"sqlite:///file:{path}?mode=ro&uri=true", config=LedgerConfig()) as ledger:
            assert (ledger.verify().events, ledger.verify().streams) == (7, 3)
            *lines, last = list(ledger.export_events())
            trailer = json.loads(last)["export"]
            assert (len(lines), trailer["events"], trailer["log_position"]) == (7, 7, 7)
            assert len(list(ledger.export_events(customer="C-0"))) == 1 + 3  # its events and the void
    finally:
        path.chmod(0o644)
    assert contents(path) == before


def test_export_stores_no_checkpoint_and_verify_creates_no_table(ledger: Ledger):
    fill(ledger)
    ledger.verify()
    *_, last = list(ledger.export_events())
    assert not inspect(ledger.store.engine).has_table(checkpoints_table.name)
    digest = ledger.digest()
    assert json.loads(last)["export"]["log_root"] == digest.root  # the export's bound is the digest it would take
    ledger.append("contact", "C-9", {"channel": "web"})
    list(ledger.export_events())
    ledger.verify()
    with ledger.store.engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(checkpoints_table)).scalar_one()
    assert stored == 1  # the digest's
