"""The operator's commands on the projections: status (a read), and rebuild and run, which write.

Only these write read models: queries read them as they stand (``ledger.queries``).
Rebuild and run also keep today's RFM thresholds for the profiles they leave
behind, so that a fresh process answers its first profile without ranking every
customer; a follower keeps none (each batch moves the position they are kept for).
"""

from __future__ import annotations

import contextlib
import threading

from commands.errors import ProjectionOutdatedError
from ledger import rebuild as rebuilding
from ledger.config import LedgerConfig
from ledger.projection_runner import catch_up, follow, progress_bar, while_available
from ledger.queries.customers import keep_todays_thresholds
from ledger.results import ProjectionStatus
from ledger.storage.log_reader import log_head
from ledger.storage.projection_state import ProjectionState
from ledger.storage.store import EventStore
from projections.rates import MissingRateError
from projections.registry import Projection, get_projections


def status(store: EventStore) -> list[ProjectionStatus]:
    """Return where each projection stands against the log (a read: it works on a read-only database)."""
    state = ProjectionState(store)
    found = []
    with store.engine.connect() as connection, connection.begin():
        head = log_head(store, connection)
        meta = state.read(connection)
        for projection in get_projections():
            row = meta[projection.name]
            position = 0 if row.generation is None else state.position(connection, projection.name, row.generation)
            advanced = None if row.generation is None else state.advanced_at(connection, projection.name, row.generation)
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
                    advanced,
                    row.updated_at,
                    label,
                )
            )
    return found


def rebuild(store: EventStore, config: LedgerConfig, names: list[str] | None = None, *, progress: bool = True) -> int:
    """Rebuild projections (all by default) into new tables and switch to them; return events scanned."""
    projections = get_projections(names)
    state = ProjectionState(store)
    state.prepare()
    scanned = rebuilding.rebuild(store, state, projections, progress=progress)
    _keep_thresholds(store, config, projections)
    return scanned


def run(
    store: EventStore,
    config: LedgerConfig,
    names: list[str] | None = None,
    *,
    stop: threading.Event | None = None,
    progress: bool = True,
) -> int:
    """Build projections never built, catch them up with the log; with stop, keep following until it is set.

    Return the events applied after building; raise for a projection built by other code.
    """
    projections = get_projections(names)
    state = ProjectionState(store)
    state.prepare()
    with store.engine.connect() as connection:
        meta = state.read(connection)
    for projection in projections:
        row = meta[projection.name]
        if row.generation is not None and row.version != projection.version:
            raise ProjectionOutdatedError(projection.name, row.version or 0, projection.version)
    if any(meta[p.name].generation is None for p in projections):
        rebuilding.rebuild(store, state, projections, progress=progress, unbuilt_only=True)

    def caught_up() -> int:
        behind = max(s.behind for s in status(store) if s.name in {p.name for p in projections})
        with progress_bar(behind, "catch up", progress) as bar:
            applied = catch_up(store, state, projections, bar=bar)
        _keep_thresholds(store, config, projections)
        return applied

    if stop is None:
        return caught_up()
    # A follower outlives the database going away from its first catch-up on.
    return while_available(stop, caught_up) + follow(store, state, projections, stop)


def _keep_thresholds(store: EventStore, config: LedgerConfig, projections: list[Projection]) -> None:
    if any(p.name == "profiles" for p in projections):
        # The projections are built and switched by now; the thresholds are only a cache of the
        # ranking, and every query that ranks says which rate it misses, so the build is not failed.
        with contextlib.suppress(MissingRateError):
            keep_todays_thresholds(store, config)
