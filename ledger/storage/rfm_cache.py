"""RFM thresholds kept per profiles generation, log position, day and currency.

Scoring one customer needs the ranking of every customer, a pass over all
profiles; its whole result is a dozen numbers (``rfm.Thresholds``). Kept per
log position, a cached entry is exact: any new event moves the position and
makes the next query compute afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from weakref import WeakSet

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, delete, insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ledger.storage.store import EventStore
from projections.rfm import Thresholds

_CREATED: WeakSet[Engine] = WeakSet()
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


def create_cache_table(store: EventStore) -> None:
    """Create the cache table if it is missing (checked once per engine: every profile query asks)."""
    if store.engine in _CREATED:
        return
    store.ensure_tables([cache_table])
    _CREATED.add(store.engine)


def cached_thresholds(
    store: EventStore,
    connection: Connection,
    key: tuple[int, int, date, str],
    compute: Callable[[], Thresholds | None],
) -> Thresholds | None:
    """Return the thresholds for (generation, position, day, currency), computing and keeping them on a miss.

    The caller reads the position and computes in one snapshot (its connection's transaction),
    begun after ``create_cache_table``: a snapshot taken before the table existed would not see it.
    """
    generation, position, day, currency = key
    c = cache_table.c
    # Driver SQL: every profile asks, and building and running the Core select cost it five times the lookup.
    lookup = f"SELECT thresholds FROM {cache_table.name} WHERE {' AND '.join(f'{k} = {store.mark}' for k in PRIMARY_KEY)}"
    found = connection.exec_driver_sql(lookup, (generation, position, day.isoformat(), currency)).first()
    if found is not None:
        return None if found[0] is None else Thresholds.from_json(found[0])
    thresholds = compute()
    try:
        with store.engine.begin() as writer:
            # Entries of older positions can never be asked for again.
            writer.execute(delete(cache_table).where((c.generation != generation) | (c.position != position)))
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
        pass  # another query kept the same entry first
    return thresholds
