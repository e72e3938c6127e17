"""The recording half of the write transaction: positions, versions and the hash chain, then the rows.

Kept apart from the lookups (``ledger.storage.write_transaction``) that load what the rules need.
An import records without building a ``RecordedEvent`` per event (it reports counts only);
on PostgreSQL a transaction opened for bulk writing copies the events and their index rows
(``COPY ... FROM STDIN``) instead of inserting them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from commands.events import (
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    EventCorrected,
    EventVoided,
    PurchaseRecorded,
    RefundIssued,
)
from commands.records import TOPIC_BY_TYPE, NewEvent, RecordedEvent
from commands.stream_state import StreamState
from commands.timeutil import format_utc
from ledger.identity.transaction import TransactionIdentity
from ledger.privacy.keyring import TransactionKeys
from ledger.storage.write_sql import WriteStatements

STATUS_EVENTS = (ComplaintFiled, ComplaintResolved, ComplaintReopened)  # those that set a complaint's status


class EventRecording:
    """Stores the events of a write transaction whose rules passed (``WriteTransaction`` holds the state)."""

    sql: WriteStatements
    cursor: Any
    driver_uuid: Callable[[UUID], Any]
    streams: dict[str, StreamState]
    position: int | None
    recorded: int
    privacy: TransactionKeys | None
    identity: TransactionIdentity | None  # the identifiers' holders (ledger.identity), set by the store
    copy_rows: bool  # PostgreSQL outside pipeline mode: COPY the events and their index rows

    def record(self, events: list[NewEvent], content_hashes: list[str]) -> list[RecordedEvent]:
        """Store events whose rules passed (their state already applied), chaining their hashes; return them as stored."""
        recorded: list[RecordedEvent] = []
        self._store(events, content_hashes, recorded)
        return recorded

    def record_count(self, events: list[NewEvent], content_hashes: list[str]) -> int:
        """Store events as ``record`` does, returning only how many (an import's counts need no more)."""
        return self._store(events, content_hashes, None)

    def _store(self, events: list[NewEvent], content_hashes: list[str], recorded: list[RecordedEvent] | None) -> int:
        if not events:
            return 0
        if self.position is None:
            self.cursor.execute(self.sql.max_position)
            self.position = self.cursor.fetchall()[0][0]
        position = self.position
        recorded_at = datetime.now(UTC)
        recorded_text = format_utc(recorded_at)
        streams, privacy, driver_uuid = self.streams, self.privacy, self.driver_uuid
        event_rows: list[tuple[Any, ...]] = []
        id_rows: list[tuple[Any, ...]] = []
        voided: list[tuple[str]] = []
        for event, content in zip(events, content_hashes, strict=True):
            data = event.data
            state = streams[event.customer]
            position += 1
            version = state.version = state.version + 1
            prev_hash = state.last_hash
            encoded, digest = event.sealed(
                position=position,
                stream=state.stream_text,
                version=version,
                recorded_at=recorded_text,
                prev_hash=prev_hash,
                protect=None if privacy is None else privacy.protector(event),
            )
            event_rows.append((position, driver_uuid(state.stream_id), version, TOPIC_BY_TYPE[data.wire_name], encoded))
            # An isinstance test: a missing attribute costs pydantic 2 µs.
            target = data.target_event_id if isinstance(data, EventVoided | EventCorrected) else None
            id_rows.append((event.event_id, position, False, target, content))
            if isinstance(data, EventVoided):
                voided.append((data.target_event_id,))
            if recorded is not None:
                recorded.append(
                    RecordedEvent(
                        position=position,
                        stream_id=state.stream_id,
                        version=version,
                        event_id=event.event_id,
                        customer=event.customer,
                        occurred_at=event.occurred_at,
                        recorded_at=recorded_at,
                        source=event.source,
                        actor=event.actor,
                        correlation_id=event.correlation_id,
                        data=data,
                        prev_hash=prev_hash,
                        hash=digest,
                    )
                )
            state.last_hash = digest
        self._insert(event_rows, id_rows)
        if self.identity is not None and self.identity.changes:
            self.identity.record(events, self.position + 1)
        if voided:
            self.cursor.executemany(self.sql.mark_voided, voided)
        self._save_orders(events)
        self._save_complaints(events)
        self.recorded += len(event_rows)
        self.position = position
        return len(event_rows)

    def _insert(self, event_rows: list[tuple[Any, ...]], id_rows: list[tuple[Any, ...]]) -> None:
        cursor, sql = self.cursor, self.sql
        if self.copy_rows:
            # COPY in binary: a stream of rows in one statement, without a bound statement per row.
            for statement, types, rows in (
                (sql.copy_events, sql.copy_event_types, event_rows),
                (sql.copy_event_ids, sql.copy_event_id_types, id_rows),
            ):
                with cursor.copy(statement) as copy:
                    copy.set_types(types)
                    for row in rows:
                        copy.write_row(row)
            return
        cursor.executemany(sql.insert_event, event_rows)
        cursor.executemany(sql.insert_event_id, id_rows)

    def _save_orders(self, events: list[NewEvent]) -> None:
        keys = {(e.customer, e.data.order_id) for e in events if isinstance(e.data, PurchaseRecorded | RefundIssued)}
        for e in events:  # voids and corrections of purchases and refunds move their order's totals
            if isinstance(e.data, EventVoided | EventCorrected):
                order_id = self.streams[e.customer].targets[e.data.target_event_id].data.get("order_id")
                if order_id is not None:
                    keys.add((e.customer, order_id))
        new: list[tuple[Any, ...]] = []
        old: list[tuple[Any, ...]] = []
        for customer, order_id in keys:
            state = self.streams[customer]
            order = state.orders[order_id]
            stream_id = self.sql.side_uuid(state.stream_id)
            if order.is_new:
                new.append((stream_id, order_id, order.currency, order.paid_minor, order.refunded_minor))
                order.is_new = False
            else:
                old.append((order.paid_minor, order.refunded_minor, stream_id, order_id))
        if new:
            self.cursor.executemany(self.sql.insert_order, new)
        if old:
            self.cursor.executemany(self.sql.update_order, old)

    def _save_complaints(self, events: list[NewEvent]) -> None:
        keys = {(e.customer, e.data.complaint_id) for e in events if isinstance(e.data, STATUS_EVENTS)}
        new: list[tuple[Any, ...]] = []
        old: list[tuple[Any, ...]] = []
        for customer, complaint_id in keys:
            state = self.streams[customer]
            status, stream_id = state.complaints[complaint_id].value, self.sql.side_uuid(state.stream_id)
            if complaint_id in state.new_complaints:
                new.append((stream_id, complaint_id, status))
                state.new_complaints.discard(complaint_id)
            else:
                old.append((status, stream_id, complaint_id))
        if new:
            self.cursor.executemany(self.sql.insert_complaint, new)
        if old:
            self.cursor.executemany(self.sql.update_complaint, old)
