"""What a query reads of the projections: the active generation of each and how far the log has gone beyond it.

Reads only: a query never builds, catches up or otherwise writes a read model
(the operator commands do). One that is behind answers with what it holds and
says by how much; one never built leaves the query to replay the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from commands.errors import ProjectionOutdatedError
from ledger.storage.log_reader import log_head
from ledger.storage.projection_state import ProjectionState
from ledger.storage.store import EventStore
from projections.registry import get_projections, tables_for


@dataclass(frozen=True, slots=True)
class ReadModels:
    """The generations (None: never built) and positions of some projections, and the head of the log, read together."""

    generations: dict[str, int | None]
    positions: dict[str, int]
    head: int

    @property
    def built(self) -> bool:
        """Tell whether every one of these projections has been built."""
        return all(generation is not None for generation in self.generations.values())

    @property
    def behind(self) -> int:
        """Return how many events of the log the furthest behind of them has not applied (the whole log if never built)."""
        return self.head - min(self.positions.values(), default=self.head)

    def tables(self, name: str) -> dict[str, Table]:
        """Return the tables of a built projection's active generation."""
        generation = self.generations[name]
        assert generation is not None, f"projection {name} was never built"
        return tables_for(name, generation)


def read_models(store: EventStore, connection: Connection, names: list[str]) -> ReadModels:
    """Return where these projections stand, read in the caller's transaction; raise if one was built by other code."""
    state = ProjectionState(store)
    meta = state.read(connection)
    generations: dict[str, int | None] = {}
    positions: dict[str, int] = {}
    for projection in get_projections(names):
        row = meta[projection.name]
        if row.generation is not None and row.version != projection.version:
            raise ProjectionOutdatedError(projection.name, row.version or 0, projection.version)
        generations[projection.name] = row.generation
        positions[projection.name] = 0 if row.generation is None else state.position(connection, projection.name, row.generation)
    return ReadModels(generations, positions, log_head(store, connection))
