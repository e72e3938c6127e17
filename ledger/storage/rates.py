"""The versioned exchange-rate table: written only by ``rates import``, read by the queries that convert money.

Each import adds rows stamped with the time it ran; nothing is updated or deleted.
A query known at a moment sees the rows imported by then, and of several versions
of one day's rate the latest imported one, so a re-import corrects a rate from
then on without changing what earlier reports were based on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import Column, Index, MetaData, Table, Text, inspect
from sqlalchemy.engine import Connection, Engine

from ledger.storage.store import EventStore
from projections.facts import iso
from projections.rates import RateTable

rates_table = Table(
    "ledger_exchange_rates",
    MetaData(),
    Column("currency", Text, primary_key=True),
    Column("day", Text, primary_key=True),
    # When the import ran (fixed-width UTC text): the version of this day's rate.
    Column("imported_at", Text, primary_key=True),
    # Units of the currency per unit of the base currency, as decimal text (exact).
    Column("rate", Text, nullable=False),
)
# The latest import is the version a process's cached rates are checked against: one index lookup.
Index("ledger_exchange_rates_by_import", rates_table.c.imported_at)
_FOUND: WeakSet[Engine] = WeakSet()
# The rates known now, per database, with the version they were read at.
_LATEST: WeakKeyDictionary[Engine, tuple[str, str, RateTable]] = WeakKeyDictionary()


def import_rates(store: EventStore, rates: list[tuple[str, str, Decimal]], *, now: datetime | None = None) -> int:
    """Store rates as one new version stamped now; return how many rows were added (one per currency and day)."""
    store.ensure_tables([rates_table])
    stamp = iso(now or datetime.now(UTC))
    latest = {(currency, day): rate for day, currency, rate in rates}
    rows = [{"currency": c, "day": d, "imported_at": stamp, "rate": str(r)} for (c, d), r in sorted(latest.items())]
    if rows:
        with store.engine.begin() as connection:
            connection.execute(rates_table.insert(), rows)
    return len(rows)


def load_rates(
    store: EventStore, connection: Connection, base: str, *, known_at: datetime | None = None
) -> tuple[RateTable, str]:
    """Return the rates known at a moment (default now), and a version tag that changes with any import.

    The rates known now are kept in the process and read again only after another import.
    """
    if not _has_table(connection):
        return RateTable(base, []), ""
    name, mark = rates_table.name, store.mark
    bound = iso(known_at)
    if bound is None:
        version = connection.exec_driver_sql(f"SELECT max(imported_at) FROM {name}").scalar() or ""
        kept = _LATEST.get(store.engine)
        if kept is not None and kept[:2] == (version, base):
            return kept[2], version
    else:
        version = (
            connection.exec_driver_sql(f"SELECT max(imported_at) FROM {name} WHERE imported_at <= {mark}", (bound,)).scalar()
            or ""
        )
    # Driver SQL, in day order per currency and import order per day: a later version of a day's rate
    # replaces the earlier one, and the rates are only parsed when a conversion asks for them.
    rows = connection.exec_driver_sql(
        f"SELECT day, currency, rate FROM {name} WHERE imported_at <= {mark} ORDER BY currency, day, imported_at", (version,)
    )
    table = RateTable(base, ((day, currency, rate) for day, currency, rate in rows), ordered=True)
    if bound is None:
        _LATEST[store.engine] = (version, base, table)
    return table, version


def _has_table(connection: Connection) -> bool:
    engine = connection.engine
    if engine in _FOUND:
        return True
    if not inspect(connection).has_table(rates_table.name):
        return False
    _FOUND.add(engine)
    return True
