"""The operator's API: status, rebuild, run and follow, and opening read models for queries."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import Table

from commands.errors import ProjectionOutdatedError
from ledger import rebuild as rebuilding
from ledger.projection_runner import catch_up, follow, progress_bar
from ledger.rebuild import store_head
from ledger.results import ProjectionStatus
from ledger.storage.projection_state import ProjectionState
from projections.registry import Projection, get_projections, tables_for

if TYPE_CHECKING:
    from ledger.application import Ledger


def status(ledger: Ledger) -> list[ProjectionStatus]:
    """Return where each projection stands against the log."""
    state = ProjectionState(ledger.store)
    head = ledger.store.max_position()
    found = []
    with ledger.store.engine.connect() as connection:
        meta = state.read(connection)
        for projection in get_projections():
            row = meta[projection.name]
            position = 0 if row.generation is None else state.position(connection, projection.name, row.generation)
            if row.generation is None:
                label = "never built: run `ledger projections rebuild`"
            elif row.version != projection.version:
                label = f"needs rebuild (built by version {row.version})"
            else:
                label = "current" if position == head else "behind"
            if row.building is not None:
                label += f"; rebuild to generation {row.building} under way or interrupted"
            found.append(
                ProjectionStatus(
                    projection.name,
                    projection.version,
                    row.version,
                    row.generation,
                    position,
                    head - position,
                    row.updated_at,
                    label,
                )
            )
    return found


def rebuild(ledger: Ledger, names: list[str] | None = None, *, progress: bool = True) -> int:
    """Rebuild projections (all by default) into new tables and switch to them; return events scanned."""
    projections = get_projections(names)
    return rebuilding.rebuild(ledger.store, ProjectionState(ledger.store), projections, progress=progress)


def run(ledger: Ledger, names: list[str] | None = None, *, stop: threading.Event | None = None, progress: bool = True) -> int:
    """Catch built projections up with the log; with stop, keep following until it is set. Return events applied."""
    projections = get_projections(names)
    state = ProjectionState(ledger.store)
    _check_versions(ledger, state, projections, build_missing=True, progress=progress)
    behind = max(s.behind for s in status(ledger) if s.name in {p.name for p in projections})
    with progress_bar(behind, "catch up", progress) as bar:
        applied = catch_up(ledger.store, state, projections, bar=bar)
    if stop is not None:
        applied += follow(ledger.store, state, projections, stop)
    return applied


def open_read_models(ledger: Ledger, names: list[str], *, progress: bool = True) -> dict[str, dict[str, Table]]:
    """Return the current tables of projections for a query: built first if never built, caught up, version checked."""
    generations = current_generations(ledger, names, progress=progress)
    return {name: tables_for(name, generation) for name, generation in generations.items()}


def current_generations(ledger: Ledger, names: list[str], *, progress: bool = True) -> dict[str, int]:
    """Return the generation a query reads of each projection, having built, caught up and version checked it."""
    projections = get_projections(names)
    state = ProjectionState(ledger.store)
    generations = _check_versions(ledger, state, projections, build_missing=True, progress=progress)
    if _behind(ledger, state, generations):
        catch_up(ledger.store, state, projections)
    return generations


def _behind(ledger: Ledger, state: ProjectionState, generations: dict[str, int]) -> bool:
    """Tell whether any of these generations is behind the log: a read, so that current queries take no write lock."""
    with ledger.store.engine.connect() as connection:
        head = store_head(ledger.store, connection)
        return any(state.position(connection, name, generation) < head for name, generation in generations.items())


def _check_versions(
    ledger: Ledger, state: ProjectionState, projections: list[Projection], *, build_missing: bool, progress: bool
) -> dict[str, int]:
    with ledger.store.engine.connect() as connection:
        meta = state.read(connection)
    missing = [p for p in projections if meta[p.name].generation is None]
    for projection in projections:
        row = meta[projection.name]
        if row.generation is not None and row.version != projection.version:
            raise ProjectionOutdatedError(projection.name, row.version or 0, projection.version)
    if missing and build_missing:
        rebuilding.rebuild(ledger.store, state, missing, progress=progress, unbuilt_only=True)
        with ledger.store.engine.connect() as connection:
            meta = state.read(connection)
    return {p.name: meta[p.name].generation or 0 for p in projections}
