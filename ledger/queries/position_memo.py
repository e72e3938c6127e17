"""Figures computed from read models, kept in this process per generation and position of the tables they read.

A kept entry is exact: a change to those tables moves their position, and the next
query computes afresh (the entries of other positions are dropped then). Queries
never write: the entries live in this process only, as the RFM thresholds' do
(``ledger.storage.rfm_cache``), so that a started service answers a repeated
dashboard query without reading every purchase again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine

from ledger.queries.read_models import ReadModels

T = TypeVar("T")
# Entries kept in a process for one state of the read models (one per query shape asked); more are dropped.
ENTRIES = 64
_MEMORY: WeakKeyDictionary[Engine, dict[tuple[Hashable, Hashable], Any]] = WeakKeyDictionary()


def state_of(models: ReadModels) -> Hashable:
    """Return what identifies the rows of these read models: each one's generation and position."""
    return tuple(sorted((name, models.generations[name], position) for name, position in models.positions.items()))


def remembered(engine: Engine, models: ReadModels, key: Hashable, compute: Callable[[], T]) -> T:
    """Return compute()'s value for key at the read models' state: kept in this process, else computed and kept.

    The caller reads the models' state and computes in one snapshot (its connection's transaction),
    and does not change the value it gets.
    """
    memory = _MEMORY.setdefault(engine, {})
    state = state_of(models)
    entry = (state, key)
    if entry in memory:
        value: T = memory[entry]
        return value
    value = compute()
    if len(memory) >= ENTRIES or any(kept != state for kept, _ in memory):
        memory.clear()
    memory[entry] = value
    return value
