"""Verify's check of the side tables (event ids, orders, complaints, identifiers): rebuilt from the log and compared.

One pass over the log in position order folds every stream (``ledger.audit.side_fold``)
and walks the event-id index sorted by position beside it, keeping the identity events;
the orders, complaints and holders rows are then compared with what the pass gave. All of
it in one read transaction, so that appends meanwhile change neither side: both are read
as of the same moment.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy.engine import Connection

from commands.events import EventCorrected, EventVoided
from ledger.audit.side_fold import (
    FOLDED,
    SideTableMismatchError,
    StreamFold,
    complaint_key,
    describe_order,
    order_key,
    order_values,
    stored_content_hash,
)
from ledger.identity.check import TOPICS as IDENTITY_TOPICS
from ledger.identity.check import IdentityEvent, check_identifiers
from ledger.storage.log_reader import log_head, raw_pages
from ledger.storage.side_tables import complaints_table, event_ids_table, orders_table
from ledger.storage.store import EventStore

_VOID = EventVoided.wire_name
_TARGETING = frozenset({_VOID, EventCorrected.wire_name})
_FETCH = 10_000


@dataclass(frozen=True, slots=True)
class SideTablesChecked:
    """How many rows of each side table matched the log."""

    event_ids: int
    orders: int
    complaints: int
    identifiers: int


def check_side_tables(store: EventStore) -> SideTablesChecked:
    """Rebuild the side tables from the log and compare every row; raise SideTableMismatchError at the first difference."""
    with _snapshot(store) as connection:
        head = log_head(store, connection)
        folds: dict[Any, StreamFold] = {}  # by the events table's stream id, as the driver gives it
        identity_events: list[IdentityEvent] = []
        rows = _index_rows(connection)
        try:
            event_ids = _check_event_ids(store, connection, head, rows, folds, identity_events)
        finally:  # its cursor, before the connection goes (a mismatch leaves it part-read)
            rows.close()
        # By the side tables' stream id as the driver gives it: each row's is then looked up as read, with no UUID made of it.
        by_stream = {_side_form(stream_id): fold for stream_id, fold in folds.items()}
        orders = _check_orders(connection, by_stream)
        complaints = _check_complaints(connection, by_stream)
        identifiers = check_identifiers(store, connection, identity_events)
    return SideTablesChecked(event_ids, orders, complaints, identifiers)


@contextmanager
def _snapshot(store: EventStore) -> Iterator[Connection]:
    """Open a read transaction that sees one moment of the database (SQLite WAL reads do; PostgreSQL needs REPEATABLE READ)."""
    with store.scan_connection() as connection:
        if connection.in_transaction():  # SQLite's page-cache pragma began one
            connection.commit()
        if store.is_postgres:
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def _check_event_ids(
    store: EventStore,
    connection: Connection,
    head: int,
    rows: Generator[Any],
    folds: dict[Any, StreamFold],
    identity_events: list[IdentityEvent],
) -> int:
    """Fold every event into its stream and match it with the event-id index's row at its position; return rows checked.

    Keeps the identity events in ``identity_events`` on the way, for the holders table's check.
    """
    row = next(rows, None)
    voided_rows: set[str] = set()
    voided: set[str] = set()
    loads, folded, content_hash, identity = orjson.loads, FOLDED, stored_content_hash, IDENTITY_TOPICS
    # One loop with local names: this runs for every event of the log.
    for page in raw_pages(store, connection, 0, head):
        for position, stream_id, version, topic, raw in page:
            stored = loads(raw)
            if topic in identity:
                identity_events.append((position, identity[topic], stored))
            event_id, kind = stored["event_id"], stored["type"]
            target = None
            if kind in folded:
                data = stored["data"]
                fold = folds.get(stream_id)
                if fold is None:
                    fold = folds[stream_id] = StreamFold(stored["customer"], stream_id, all_events=False)
                fold.fold(position, version, event_id, kind, data, "")
                if kind in _TARGETING:
                    target = data["target_event_id"]
                    if kind == _VOID:
                        voided.add(target)
            if row is None or row[0] != position or row[1] != event_id:
                row = _misplaced(rows, row, position, event_id)
            if row[2] != target:
                problem = f"target_event_id {row[2]!r}, the log gives {target!r}"
                raise SideTableMismatchError(event_ids_table.name, f"event_id {event_id!r}", problem, position)
            # A row without a content hash predates the column (documented in docs/audit.md).
            if row[4] is not None:
                expected = content_hash(stored)
                if expected is not None and expected != row[4]:
                    problem = f"content_hash {row[4]!r}, the event at position {position} hashes to {expected!r}"
                    raise SideTableMismatchError(event_ids_table.name, f"event_id {event_id!r}", problem, position)
            if row[3]:
                voided_rows.add(row[1])
            row = next(rows, None)
    if row is not None:
        _surplus_event_id(row)
    for event_id in sorted(voided ^ voided_rows):
        says = "voided, but no void of it is in the log" if event_id in voided_rows else "not marked voided, but the log voids it"
        raise SideTableMismatchError(event_ids_table.name, f"event_id {event_id!r}", says)
    return head


def _misplaced(rows: Iterator[Any], row: Any, position: int, event_id: str) -> Any:
    """Return the index row of the event at a position, past surplus rows before it; raise for a missing or wrong one."""
    while row is not None and row[0] < position:
        _surplus_event_id(row)
    if row is None or row[0] > position:
        raise SideTableMismatchError(
            event_ids_table.name, f"event_id {event_id!r}", f"no row for the event at position {position}", position
        )
    problem = f"the row for position {position} names {row[1]!r}, the event there is {event_id!r}"
    raise SideTableMismatchError(event_ids_table.name, f"event_id {row[1]!r}", problem, position)


def _index_rows(connection: Connection) -> Generator[Any]:
    """Yield the event-id index's rows (position, event_id, target_event_id, voided, content_hash) in position order.

    On the transaction's DB-API connection, a page at a time: a server-side cursor on PostgreSQL.
    """
    c = event_ids_table.c
    sql = (
        f"SELECT {c.position.name}, {c.event_id.name}, {c.target_event_id.name}, {c.voided.name}, {c.content_hash.name}"
        f" FROM {event_ids_table.name} ORDER BY {c.position.name}, {c.event_id.name}"
    )
    driver = connection.connection.dbapi_connection
    assert driver is not None
    cursor = driver.cursor(name="ledger_verify_event_ids") if connection.dialect.name == "postgresql" else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(_FETCH):
            yield from rows
    finally:
        cursor.close()


def _surplus_event_id(row: Any) -> None:
    raise SideTableMismatchError(
        event_ids_table.name, f"event_id {row[1]!r}", f"a row at position {row[0]} for which the log has no such event"
    )


def _side_uuid(value: Any) -> UUID:
    """Return a side table's stream id (native on PostgreSQL, 32 hex digits on SQLite) as a UUID."""
    return value if isinstance(value, UUID) else UUID(hex=str(value))


def _side_form(stream_id: Any) -> Any:
    """Return the events table's stream id (native on PostgreSQL, 16 bytes on SQLite) as the side tables store it.

    That is a UUID on PostgreSQL, its 32 lowercase hex digits on SQLite.
    """
    return stream_id if isinstance(stream_id, UUID) else bytes(stream_id).hex()


def _canonical(stream_id: Any) -> Any:
    """Return a side table's stream id in ``_side_form``: a row may spell it otherwise (capitals, dashes)."""
    return stream_id if isinstance(stream_id, UUID) else UUID(hex=str(stream_id)).hex


def _check_orders(connection: Connection, folds: dict[Any, StreamFold]) -> int:
    """Compare every ledger_orders row with the folds, then name any order the log has and the table lacks."""
    expected = {
        (stream, order_id): order_values(order) for stream, fold in folds.items() for order_id, order in fold.orders.items()
    }
    checked = 0
    sql = (
        f"SELECT stream_id, order_id, currency, paid_minor, refunded_minor FROM {orders_table.name} ORDER BY stream_id, order_id"
    )
    pop = expected.pop
    for stream_id, order_id, currency, paid, refunded in connection.exec_driver_sql(sql):
        wanted = pop((stream_id, order_id), None)
        if wanted is None:  # not under the id as read: another spelling of it, or no such order
            wanted = pop((_canonical(stream_id), order_id), None)
        found = (currency, paid, refunded)
        if wanted != found:
            problem = f"the row says {describe_order(found)}, the log gives {describe_order(wanted)}"
            customer = _customer(folds, _canonical(stream_id))
            raise SideTableMismatchError(orders_table.name, order_key(order_id, customer, _side_uuid(stream_id)), problem)
        checked += 1
    for stream, order_id in sorted(expected, key=lambda k: (str(k[0]), k[1])):
        problem = f"no row, the log gives {describe_order(expected[(stream, order_id)])}"
        raise SideTableMismatchError(orders_table.name, order_key(order_id, folds[stream].customer), problem)
    return checked


def _check_complaints(connection: Connection, folds: dict[Any, StreamFold]) -> int:
    """Compare every ledger_complaints row with the folds, then name any complaint the log has and the table lacks."""
    expected = {
        (stream, complaint_id): status.value for stream, fold in folds.items() for complaint_id, status in fold.complaints.items()
    }
    checked = 0
    sql = f"SELECT stream_id, complaint_id, status FROM {complaints_table.name} ORDER BY stream_id, complaint_id"
    pop = expected.pop
    for stream_id, complaint_id, status in connection.exec_driver_sql(sql):
        wanted = pop((stream_id, complaint_id), None)
        if wanted is None:  # as for orders
            wanted = pop((_canonical(stream_id), complaint_id), None)
        if wanted != status:
            says = "no such complaint" if wanted is None else repr(wanted)
            problem = f"the row says {status!r}, the log gives {says}"
            key = complaint_key(complaint_id, _customer(folds, _canonical(stream_id)), _side_uuid(stream_id))
            raise SideTableMismatchError(complaints_table.name, key, problem)
        checked += 1
    for stream, complaint_id in sorted(expected, key=lambda k: (str(k[0]), k[1])):
        problem = f"no row, the log gives {expected[(stream, complaint_id)]!r}"
        raise SideTableMismatchError(complaints_table.name, complaint_key(complaint_id, folds[stream].customer), problem)
    return checked


def _customer(folds: dict[Any, StreamFold], stream: Any) -> str | None:
    """Return the customer of a stream the log has events of, else None."""
    fold = folds.get(stream)
    return None if fold is None else fold.customer
