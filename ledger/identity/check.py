"""Verify's check of the holders table (``ledger_identifiers``): rebuilt from the log's identity events and compared.

The table is found by blind index, which needs the identifiers' values: in clear (a ledger
without a master key), or opened with the customers' data keys when the master key is
configured. Without it, verify still checks what needs no value: every row's link and unlink
are identity events of that customer and kind at those positions, and every unlink closed one.
Erased customers have no rows. A ledger that never indexed an identifier (no index key) has
nothing to check and costs verify nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from commands.events_identity import IdentifierLinked, IdentifierUnlinked
from commands.records import TOPIC_BY_TYPE
from ledger.audit.side_fold import SideTableMismatchError
from ledger.identity.index import blind
from ledger.identity.whois import has_index
from ledger.privacy.cipher import CannotOpenError, field_context, is_sealed
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.reveal import CustomerKeys
from ledger.storage.side_tables import HELD, identifiers_table
from ledger.storage.store import EventStore

# The topics of identity events (as the log's rows give them), by their type.
TOPICS = {TOPIC_BY_TYPE[cls.wire_name]: cls.wire_name for cls in (IdentifierLinked, IdentifierUnlinked)}
TABLE = identifiers_table.name
# A holding: (blind or None where the value could not be read, until_position, kind, customer, since, since_position, until)
Holding = tuple[Any, ...]
# An identity event of the log: its position, type and stored state.
IdentityEvent = tuple[int, str, dict[str, Any]]


def check_identifiers(store: EventStore, connection: Connection, events: list[IdentityEvent]) -> int:
    """Compare the holders table with the log's identity events; return the rows checked, raise at the first difference.

    The events are the side tables' scan's (``ledger.audit.side_tables_check``), read in the
    same transaction as ``connection``: the log and the table as of one moment.
    """
    if not has_index(store):
        return 0

    def rows(sql: str, parameters: list[Any]) -> list[Any]:
        return list(connection.exec_driver_sql(sql, tuple(parameters)).fetchall())

    try:
        key = store.identity.key(rows)
    except MasterKeyError:
        key = None
        readable = False
    else:
        readable = True
        if key is None:
            return 0  # no identifier was ever indexed
    stored = [
        (r.blind, int(r.until_position), r.kind, r.customer, r.since, int(r.since_position), r.until)
        for r in connection.execute(select(identifiers_table))
    ]
    keys = CustomerKeys(store.engine, store.keys)
    keys.load(connection, [state["customer"] for _, _, state in events] + [held[3] for held in stored])
    # An erased customer's rows left the index with their values' key: the others' holdings are as if they never linked.
    kept = [event for event in events if not keys.of(event[2]["customer"])[1]]
    values = [_value(keys, state, readable) for _, _, state in kept]
    if key is not None and all(value is not None for value in values):
        _compare(sorted(_replay(key, kept, values)), sorted(stored))
    else:
        _check_structure(events, stored, keys)
    return len(stored)


def _value(keys: CustomerKeys, state: dict[str, Any], readable: bool) -> str | None:
    """Return an identity event's value in clear, or None where it cannot be read (sealed, no usable key)."""
    value = state["data"].get("value")
    if not is_sealed(value):
        return str(value)
    if not readable:
        return None
    try:
        cipher, _erased, _has_key = keys.of(state["customer"])
        return None if cipher is None else cipher.open(value, field_context(state["event_id"], "value"))
    except (MasterKeyError, CannotOpenError):
        return None


def _replay(key: bytes, events: list[IdentityEvent], values: list[str | None]) -> list[Holding]:
    """Return the holdings the identity events make, as the write path records them."""
    open_holdings: dict[str, Holding] = {}
    closed: list[Holding] = []
    for (position, kind_of_event, state), value in zip(events, values, strict=True):
        kind, customer, moment = state["data"]["kind"], state["customer"], state["occurred_at"]
        index = blind(key, kind, str(value))
        held = open_holdings.get(index)
        if kind_of_event == IdentifierLinked.wire_name:
            if held is None:
                open_holdings[index] = (index, HELD, kind, customer, moment, position, None)
        elif held is not None:
            closed.append((*held[:1], position, *held[2:6], moment))
            del open_holdings[index]
    return [*closed, *open_holdings.values()]


def _compare(expected: list[Holding], stored: list[Holding]) -> None:
    # By sets: a holder table has a row per identifier ever linked, and lists compared element by element grow as its square.
    expected_set, stored_set = set(expected), set(stored)
    missing = [h for h in expected if h not in stored_set]
    surplus = [h for h in stored if h not in expected_set]
    if missing:
        held = missing[0]
        raise SideTableMismatchError(TABLE, _key(held), "missing: the log gives this holding", held[5], held[3])
    if surplus:
        held = surplus[0]
        raise SideTableMismatchError(TABLE, _key(held), "no identity event of the log gives this row", held[5], held[3])


def _check_structure(events: list[IdentityEvent], stored: list[Holding], keys: CustomerKeys) -> None:
    """Check the rows against the events without their values: positions, customers, kinds and closed holdings."""
    by_position = {position: (kind_of_event, state) for position, kind_of_event, state in events}
    for held in stored:
        _, until_position, kind, customer, _since, since_position, _until = held
        for position, wanted in ((since_position, IdentifierLinked.wire_name), (until_position, IdentifierUnlinked.wire_name)):
            if position == HELD and wanted == IdentifierUnlinked.wire_name:
                continue
            found = by_position.get(position)
            if found is None or found[0] != wanted or (found[1]["customer"], found[1]["data"]["kind"]) != (customer, kind):
                raise SideTableMismatchError(TABLE, _key(held), f"position {position} is no {wanted} of this customer and kind")
        if keys.of(customer)[1]:
            raise SideTableMismatchError(TABLE, _key(held), "the customer was erased: their identifiers leave the index")
    closed = {held[1] for held in stored}
    for position, kind_of_event, state in events:
        if kind_of_event == IdentifierUnlinked.wire_name and position not in closed and not keys.of(state["customer"])[1]:
            problem = "missing: the unlink at this position closes no row"
            raise SideTableMismatchError(TABLE, f"unlink at position {position}", problem, position, state["customer"])


def _key(held: Holding) -> str:
    return f"holding of customer {held[3]!r} since position {held[5]}"
