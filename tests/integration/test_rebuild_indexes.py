"""A rebuild creates its tables' secondary indexes after the fill: the switched-to generation has every one of them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger import rebuild as rebuild_module
from ledger.storage.projection_state import ProjectionState
from projections import registry


def _defined(name: str, generation: int) -> dict[str, set[str]]:
    return {table.name: {str(index.name) for index in table.indexes} for table in registry.tables_for(name, generation).values()}


def _on_disk(ledger, name: str, generation: int) -> dict[str, set[str]]:
    """Return each table's indexes by name, without its primary key's (expression indexes do not reflect)."""
    if ledger.store.is_postgres:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
    with ledger.store.engine.connect() as connection:
        return {
            table.name: {n for (n,) in connection.execute(text(sql), {"t": table.name}) if n != f"{table.name}_pkey"}
            for table in registry.tables_for(name, generation).values()
        }


@pytest.mark.parametrize("two_processes_from", [10**9, 1])
def test_rebuilt_generation_has_every_index(ledger, monkeypatch, two_processes_from):
    monkeypatch.setattr(rebuild_module, "TWO_PROCESSES_FROM", two_processes_from)
    for n, day in enumerate(("2024-01-02", "2024-01-09", "2024-02-01")):
        ledger.append("purchase", f"C-{n}", {"order_id": f"O-{n}", "amount": "10.00"}, occurred_at=day)
    ledger.append("refund", "C-0", {"order_id": "O-0", "amount": "1.00"}, occurred_at="2024-01-03")
    ledger.append("complaint_filed", "C-1", {"complaint_id": "K", "severity": "low"}, occurred_at="2024-01-10")
    ledger.rebuild(progress=False)
    with ledger.store.engine.connect() as connection:
        meta = ProjectionState(ledger.store).read(connection)
    indexes = 0
    for name in registry.PROJECTIONS:
        generation = meta[name].generation
        assert generation is not None
        defined = _defined(name, generation)
        indexes += sum(len(found) for found in defined.values())
        assert _on_disk(ledger, name, generation) == defined
    assert indexes >= 5  # the purchase rows' alone
