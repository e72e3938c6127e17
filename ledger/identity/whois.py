"""Reads of the holders table: who holds an identifier (or held it as of a moment), and the customer it names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from commands.timeutil import to_utc
from ledger.identity.index import blind
from ledger.results_identity import Holding, WhoIs
from ledger.storage.side_tables import HELD, identifiers_table
from ledger.storage.store import EventStore

_COLUMNS = "customer, since, since_position, until, until_position"


def holdings(store: EventStore, kind: str, value: str) -> list[Holding]:
    """Return every holding of an identifier, oldest first (none if it was never linked); raise if it is no identifier."""
    index = store.identity
    normal = index.normal(kind, value)
    if not has_index(store):
        return []
    with store.engine.connect() as connection:

        def rows(sql: str, parameters: list[Any]) -> list[Any]:
            return list(connection.exec_driver_sql(sql, tuple(parameters)).fetchall())

        key = index.key(rows)
        if key is None:  # no identifier was ever linked
            return []
        sql = f"SELECT {_COLUMNS} FROM {identifiers_table.name} WHERE blind = {store.mark} ORDER BY since_position"
        found = rows(sql, [blind(key, kind, normal)])
    return [Holding(r[0], r[1], int(r[2]), r[3], None if r[4] == HELD else int(r[4])) for r in found]


def has_index(store: EventStore) -> bool:
    """Whether the ledger has the holders table and key table (a ledger made before them, opened read-only, has not)."""
    return identifiers_table.name not in store.missing_tables and not store.keys.without_key_table


def who_is(store: EventStore, kind: str, value: str, as_of: datetime | None) -> WhoIs:
    """Return who held an identifier at as_of (now if None), since when, and the holdings begun by then."""
    found = holdings(store, kind, value)
    if as_of is not None:
        found = [h for h in found if _moment(h.since) <= as_of]
    current = next((h for h in reversed(found) if h.until is None or (as_of is not None and _moment(h.until) > as_of)), None)
    if current is None:
        return WhoIs(kind, None, None, found)
    return WhoIs(kind, current.customer, current.since, found)


def _moment(text: str) -> datetime:
    return to_utc(text)
