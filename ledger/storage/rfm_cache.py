"""RFM thresholds kept per profiles generation, log position, day and currency.

Scoring one customer needs the ranking of every customer, a pass over all
profiles; its whole result is a dozen numbers (``rfm.Thresholds``). Kept per
log position, a kept entry is exact: any new event moves the position and
makes the next query compute afresh.

Queries never write: they read the table, and keep what they compute in their
own process. The operator commands that move the profiles (``projections run``
and ``rebuild``) write today's entry, so that a fresh process finds it there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, delete, insert, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ledger.storage.store import EventStore
from projections.rfm import Thresholds

# (generation, position, day, currency)
Key = tuple[int, int, date, str]
# Entries kept in a process for one position (one per day and currency asked); more are dropped.
MEMORY_ENTRIES = 64

cache_table = Table(
    "ledger_rfm_thresholds",
    MetaData(),
    Column("generation", Integer, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("day", Text, primary_key=True),
    Column("currency", Text, primary_key=True),
    # NULL: no customer had bought by that day.
    Column("thresholds", Text),
)
PRIMARY_KEY = ("generation", "position", "day", "currency")
_FOUND: WeakSet[Engine] = WeakSet()
_IN_MEMORY: WeakKeyDictionary[Engine, dict[Key, Thresholds | None]] = WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class Kept:
    """A stored entry: the thresholds, or None when no customer had bought by that day."""

    thresholds: Thresholds | None


def cached_thresholds(
    store: EventStore, connection: Connection, key: Key, compute: Callable[[], Thresholds | None]
) -> Thresholds | None:
    """Return the thresholds for key: kept in this process, else stored, else computed (and kept in this process).

    The caller reads the position and computes in one snapshot (its connection's transaction).
    """
    memory = _IN_MEMORY.setdefault(store.engine, {})
    if key in memory:
        return memory[key]
    kept = kept_thresholds(store, connection, key)
    thresholds = compute() if kept is None else kept.thresholds
    if len(memory) >= MEMORY_ENTRIES or any(k[:2] != key[:2] for k in memory):
        memory.clear()  # entries of another generation or position can never be asked for again
    memory[key] = thresholds
    return thresholds


def kept_thresholds(store: EventStore, connection: Connection, key: Key) -> Kept | None:
    """Return the stored entry for key, or None if the operator commands have not kept one."""
    if not _has_table(store, connection):
        return None
    generation, position, day, currency = key
    # Driver SQL: building and running the Core select cost it five times the lookup.
    lookup = f"SELECT thresholds FROM {cache_table.name} WHERE {' AND '.join(f'{k} = {store.mark}' for k in PRIMARY_KEY)}"
    found = connection.exec_driver_sql(lookup, (generation, position, day.isoformat(), currency)).first()
    if found is None:
        return None
    return Kept(None if found[0] is None else Thresholds.from_json(found[0]))


def keep_thresholds(store: EventStore, key: Key, thresholds: Thresholds | None) -> None:
    """Store the thresholds for key in the table, dropping older entries (for the operator commands)."""
    store.ensure_tables([cache_table])
    _FOUND.add(store.engine)
    generation, position, day, currency = key
    c = cache_table.c
    try:
        with store.engine.begin() as writer:
            # Entries of older positions can never be asked for again; one of this key is replaced.
            writer.execute(delete(cache_table).where((c.generation != generation) | (c.position != position)))
            writer.execute(delete(cache_table).where((c.day == day.isoformat()) & (c.currency == currency)))
            writer.execute(
                insert(cache_table).values(
                    generation=generation,
                    position=position,
                    day=day.isoformat(),
                    currency=currency,
                    thresholds=None if thresholds is None else thresholds.to_json(),
                )
            )
    except IntegrityError:
        pass  # another operator command kept the same entry first


def _has_table(store: EventStore, connection: Connection) -> bool:
    if store.engine in _FOUND:
        return True
    if not inspect(connection).has_table(cache_table.name):
        return False
    _FOUND.add(store.engine)
    return True
