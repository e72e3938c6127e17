"""Erasure by crypto-shredding: destroy a customer's data key and append the erasure event, in one transaction.

The log is immutable and hash-chained, so events are never changed: their sealed values
stay in place, and without the key they are noise. Values stored in clear before
encryption was configured cannot be shredded; the receipt lists those events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import orjson

from commands.errors import CustomerNotFoundError
from commands.events import EVENT_TYPES
from commands.events_privacy import CustomerErased
from commands.records import NewEvent, stream_id_for
from commands.timeutil import format_utc
from ledger.privacy.cipher import is_sealed
from ledger.privacy.errors import AlreadyErasedError
from ledger.privacy.keyring import fetch
from ledger.privacy.sealing import personal_values
from ledger.storage import log_reader
from ledger.storage.store import EventStore
from ledger.writing import append_batch


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    """What an erasure did: the receipt event, who asked and why, which fields, what stays in clear."""

    customer: str
    event_id: str
    position: int
    erased_at: str
    actor: str | None
    reason: str
    fields: list[str]
    erased_through: int
    key_destroyed: bool
    clear_events: list[int]


@dataclass(slots=True)
class _Scan:
    fields: set[str]
    clear_events: list[int]
    last_position: int


def _scan(store: EventStore, customer: str) -> _Scan:
    """Find the customer's personal fields, and the events that hold some in clear."""
    with store.engine.connect() as connection:
        rows = log_reader.stream_rows(store, connection, store.driver_uuid(stream_id_for(customer)))
    if not rows:
        raise CustomerNotFoundError(customer)
    scan = _Scan(set(), [], 0)
    for row in rows:
        state: dict[str, Any] = orjson.loads(bytes(row[4]))
        data_cls = EVENT_TYPES[state["type"]]
        found = personal_values(data_cls, state["data"])
        scan.fields.update(f"{state['type']}.{path}" for path, _ in found)
        if any(not is_sealed(value) for _, value in found):
            scan.clear_events.append(int(row[0]))
        scan.last_position = max(scan.last_position, int(row[0]))
    return scan


def erase(store: EventStore, customer: str, reason: str, *, actor: str | None, source: str | None) -> ErasureReceipt:
    """Destroy the customer's data key and record the erasure event in the same transaction; refuse a second erasure."""
    scan = _scan(store, customer)
    now = datetime.now(UTC)
    erased_at = format_utc(now)
    with store.write() as transaction:
        keys = transaction.privacy
        assert keys is not None  # the store sets it on every write transaction
        pending: list[Any] = []
        keys.queue_customers(pending, [customer])
        fetch(pending)
        if keys.is_erased(customer):
            raise AlreadyErasedError(customer)
        key_destroyed = keys.destroy(customer, erased_at)
        if transaction.identity is not None:  # their identifiers leave the index: no lookup finds them any more
            transaction.identity.forget(customer)
        data = CustomerErased(
            reason=reason,
            fields=sorted(scan.fields),
            erased_through=scan.last_position,
            key_destroyed=key_destroyed,
            clear_events=scan.clear_events,
        )
        event = NewEvent(f"erasure-{uuid4()}", customer, now, source, actor, None, data)
        stored = append_batch(transaction, [event], strict=True).stored[0]
    return ErasureReceipt(
        customer=customer,
        event_id=event.event_id,
        position=stored.position,
        erased_at=erased_at,
        actor=actor,
        reason=reason,
        fields=data.fields,
        erased_through=data.erased_through,
        key_destroyed=key_destroyed,
        clear_events=data.clear_events,
    )
