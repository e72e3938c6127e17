"""The write transaction of a batch: load what the rules need, then record the events (``ledger.storage.write_records``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import Table

from commands.events import (
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    ComplaintResponded,
    EventCorrected,
    EventVoided,
    PurchaseRecorded,
    RefundIssued,
)
from commands.records import NewEvent, stored_hash, stream_id_for
from commands.stream_state import ComplaintStatus, OrderBalance, StreamState, Target
from ledger.identity.transaction import TransactionIdentity
from ledger.privacy.keyring import TransactionKeys
from ledger.storage.side_tables import complaints_table, orders_table
from ledger.storage.write_records import EventRecording
from ledger.storage.write_sql import WriteStatements

# Keeps every IN (...) list well under SQLite's bound-parameter limit.
IN_CHUNK = 500
COMPLAINT_EVENTS = (ComplaintFiled, ComplaintResponded, ComplaintResolved, ComplaintReopened)
# A query sent but not read yet, and the function its rows go to.
Pending = tuple[Any, Callable[[list[Any]], None]]


def _chunks(items: list[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class WriteTransaction(EventRecording):
    """Loads the stream state a batch needs and records its events, inside one transaction.

    ``LedgerRecorder.write`` opens it under the log's write lock, on that transaction's DB-API cursor.
    """

    def __init__(
        self,
        cursor: Any,
        sql: WriteStatements,
        decode: Callable[[bytes], Any],
        driver_uuid: Callable[[UUID], Any],
        *,
        copy_rows: bool = False,
    ):
        self.sql = sql
        self.cursor = cursor  # the DB-API cursor of the transaction (see ledger.storage.write_sql)
        self.decode = decode
        self.driver_uuid = driver_uuid
        self.streams: dict[str, StreamState] = {}
        self._looked_up_orders: set[tuple[str, str]] = set()
        self._looked_up_complaints: set[tuple[str, str]] = set()
        self.position: int | None = None  # the log's last position, once read: the write lock keeps it ours
        self.recorded = 0
        self.privacy: TransactionKeys | None = None  # the customers' data keys, set by the store (ledger.privacy)
        self.identity: TransactionIdentity | None = None  # the identifiers' holders, set by the store (ledger.identity)
        self.copy_rows = copy_rows

    def prepare(self, events: list[NewEvent]) -> dict[str, str | None]:
        """Load what a batch's rules need (once per transaction); return its stored event ids with their content hashes.

        The event ids, the stream heads, orders and complaints the events name and the log's
        last position are all queried before any result is read: on PostgreSQL that is one
        round trip. Voids and corrections then load their targets and the orders those name.
        """
        pending: list[Pending] = []
        taken: dict[str, str | None] = {}
        for chunk in _chunks(list({e.event_id for e in events})):
            pending.append((self._query(self.sql.existing_event_ids(len(chunk)), chunk), taken.update))
        self._queue_heads(pending, list({e.customer: None for e in events if e.customer not in self.streams}))
        orders = {(e.customer, e.data.order_id) for e in events if isinstance(e.data, PurchaseRecorded | RefundIssued)}
        self._queue_orders(pending, orders)
        complaints = {(e.customer, e.data.complaint_id) for e in events if isinstance(e.data, COMPLAINT_EVENTS)}
        self._queue_complaints(pending, complaints)
        if self.position is None:
            pending.append((self._query(self.sql.max_position, ()), self._set_position))
        _fetch(pending)
        targets = self._load_targets([e for e in events if e.event_id not in taken])
        # Only a stream's own targets move its orders; a foreign target is refused by the rules.
        target_orders = {(t.customer, t.data["order_id"]) for t in targets if "order_id" in t.data}
        pending = []
        self._queue_orders(pending, target_orders)
        _fetch(pending)
        return taken

    def _query(self, sql: str, parameters: Any) -> Any:
        """Run a statement on a cursor of its own and return the cursor, its rows not read yet."""
        cursor = self.cursor.connection.cursor()
        cursor.execute(sql, parameters)
        return cursor

    def _rows(self, sql: str, parameters: Any) -> list[Any]:
        self.cursor.execute(sql, parameters)
        return list(self.cursor.fetchall())

    def _set_position(self, rows: list[Any]) -> None:
        self.position = rows[0][0]

    def _queue_heads(self, pending: list[Pending], customers: list[str]) -> None:
        """Create the state of streams not loaded yet and queue the lookup of their heads."""
        driver_uuid = self.driver_uuid
        for customer in customers:
            self.streams[customer] = StreamState(stream_id_for(customer), customer)
        for chunk in _chunks(customers):
            # Keyed by the driver's form of the id, so that no UUID is built from what comes back.
            state_of = {driver_uuid(self.streams[c].stream_id): self.streams[c] for c in chunk}

            def set_heads(rows: list[Any], state_of: dict[Any, StreamState] = state_of) -> None:
                for stored_id, version, stored in rows:
                    state = state_of[stored_id]
                    state.version, state.last_hash = version, stored_hash(bytes(stored))

            pending.append((self._query(self.sql.stream_heads(len(chunk)), list(state_of)), set_heads))

    def _queue_orders(self, pending: list[Pending], keys: set[tuple[str, str]]) -> None:
        def set_order(state: StreamState, order_id: str, values: tuple[Any, ...]) -> None:
            state.orders[order_id] = OrderBalance(*values)

        columns = ("currency", "paid_minor", "refunded_minor")
        self._queue_by_key(pending, orders_table, "order_id", columns, keys - self._looked_up_orders, set_order)
        self._looked_up_orders |= keys

    def _queue_complaints(self, pending: list[Pending], keys: set[tuple[str, str]]) -> None:
        def set_complaint(state: StreamState, complaint_id: str, values: tuple[Any, ...]) -> None:
            state.complaints[complaint_id] = ComplaintStatus(values[0])

        self._queue_by_key(
            pending, complaints_table, "complaint_id", ("status",), keys - self._looked_up_complaints, set_complaint
        )
        self._looked_up_complaints |= keys

    def _queue_by_key(
        self,
        pending: list[Pending],
        table: Table,
        key: str,
        columns: tuple[str, ...],
        keys: set[tuple[str, str]],
        apply: Callable[[StreamState, str, tuple[Any, ...]], None],
    ) -> None:
        """Queue the lookup of these (customer, key) pairs' rows by key (the index's first column)."""
        for chunk in _chunks(sorted(keys)):
            wanted = list({key for _, key in chunk})
            by_stream = {self.sql.side_uuid(self.streams[c].stream_id): self.streams[c] for c, _ in chunk}

            def apply_rows(rows: list[Any], by_stream: dict[Any, StreamState] = by_stream) -> None:
                for stream_id, key, *values in rows:
                    state = by_stream.get(stream_id)
                    if state is not None and (state.customer, key) in keys:
                        apply(state, key, tuple(values))

            pending.append((self._query(self.sql.rows_by_key(table.name, key, columns, len(wanted)), wanted), apply_rows))

    def _load_targets(self, events: list[NewEvent]) -> list[Target]:
        """Load the events that voids and corrections refer to, with their data as corrected so far; return the stream's own."""
        wanted = {e.data.target_event_id: e.customer for e in events if isinstance(e.data, EventVoided | EventCorrected)}
        wanted = {k: c for k, c in wanted.items() if k not in self.streams[c].targets}
        if not wanted:
            return []
        found: dict[str, tuple[Any, ...]] = {}  # by event_id: a row can match two chunks
        for chunk in _chunks(list(wanted)):
            found.update((row[0], row) for row in self._rows(self.sql.targets_and_corrections(len(chunk)), chunk + chunk))
        index = sorted(found.values(), key=lambda row: row[1])  # log order: later corrections win
        states = self._states_at([position for _, position, _, _ in index])
        for event_id, position, voided, target_event_id in index:
            state = states[position]
            if event_id in wanted:
                target = Target(event_id, position, state["customer"], state["type"], dict(state["data"]), bool(voided))
                self.streams[wanted[event_id]].targets[event_id] = target
            elif state["type"] == EventCorrected.wire_name:
                target = self.streams[wanted[target_event_id]].targets[target_event_id]
                target.data.update(state["data"]["changes"])
        loaded = (self.streams[customer].targets.get(event_id) for event_id, customer in wanted.items())
        return [t for t in loaded if t is not None and t.customer == wanted[t.event_id]]

    def _states_at(self, positions: list[int]) -> dict[int, dict[str, Any]]:
        decode = self.decode
        states: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(positions):
            rows = self._rows(self.sql.states_at(len(chunk)), chunk)
            states.update((position, decode(bytes(state))) for position, state in rows)
        return states

    def remember(self, event: NewEvent) -> None:
        """Make an event accepted earlier in this transaction a possible target of a later void or correction."""
        targets = self.streams[event.customer].targets
        if event.event_id in targets:
            return
        data = event.data.model_dump(mode="json", exclude_none=True)
        targets[event.event_id] = Target(event.event_id, 0, event.customer, event.data.wire_name, data)


def _fetch(pending: list[Pending]) -> None:
    """Read each queued query's rows, in the order queued, and hand them to its function."""
    for cursor, apply in pending:
        apply(cursor.fetchall())
        cursor.close()
