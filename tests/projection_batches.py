"""Shared by the property tests: build a projection generation incrementally, in batches of given sizes."""

from __future__ import annotations

from sqlalchemy import inspect, select

from ledger.application import Ledger
from ledger.projection_runner import GenerationCursor, apply_batch, read_model_transaction
from ledger.storage.projection_state import ProjectionState
from projections import registry


def rows_of(ledger: Ledger, generation_of) -> dict[str, list[tuple]]:
    """Return every projection's rows (sorted) in the generation generation_of(name) gives."""
    found = {}
    with ledger.store.engine.connect() as connection:
        for name in registry.PROJECTIONS:
            for key, table in registry.tables_for(name, generation_of(name)).items():
                found[f"{name}.{key}"] = sorted(tuple(r) for r in connection.execute(select(table)).all())
    return found


def build_incrementally(ledger: Ledger, generation: int, sizes: list[int]) -> None:
    """Create fresh tables of a generation and fill them from the log in batches of sizes (cycled) events."""
    state = ProjectionState(ledger.store)
    state.prepare()  # the tracking table the batches record positions in
    targets = [GenerationCursor(p, generation, 0) for p in registry.PROJECTIONS.values()]
    with ledger.store.engine.begin() as connection:
        for target in targets:
            for table in registry.tables_for(target.projection.name, generation).values():
                table.drop(connection, checkfirst=True)
                table.create(connection)
    index = 0
    while True:
        with read_model_transaction(ledger.store) as connection:
            done = apply_batch(ledger.store, connection, state, targets, sizes[index % len(sizes)])
        index += 1
        if not done:
            return


def drop_generation(ledger: Ledger, generation: int) -> None:
    """Drop a generation's tables and tracking rows."""
    state = ProjectionState(ledger.store)
    with ledger.store.engine.begin() as connection:
        for name in registry.PROJECTIONS:
            for table in registry.tables_for(name, generation).values():
                table.drop(connection, checkfirst=True)
            state.forget(connection, name, generation)


def read_model_tables(ledger: Ledger) -> list[str]:
    """Return the names of every read-model table in the database, sorted."""
    with ledger.store.engine.connect() as connection:
        return sorted(name for name in inspect(connection).get_table_names() if name.startswith("lp_"))
