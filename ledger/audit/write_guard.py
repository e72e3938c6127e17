"""The write path's check of the side-table rows a batch relies on, against the log they derive from.

A batch's rules read order balances, complaint states and the event-id index from the
side tables, which are not sealed: a row changed by hand would let an over-refund or an
impossible complaint step through. So before the rules run, each customer the batch
names has its stream folded (``ledger.audit.side_fold``) and every row the batch relies
on is compared with that fold; a difference refuses the batch (SideTableMismatchError,
exit 3) and ``ledger verify`` names every such row.

Folding a stream for every append would read its whole history each time, so a process
keeps the folds it made, by stream, with the version and hash of the stream's last event.
Both are read from the log by the write transaction itself: a fold whose head is still the
stream's needs no read, one behind it reads only the newer events (those of the batches
before, for an import), and one the log does not continue (a rolled-back write) is made
again from the start.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

import orjson

from commands.events import (
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    ComplaintResponded,
    EventCorrected,
    EventData,
    EventVoided,
    PurchaseRecorded,
    RefundIssued,
)
from commands.records import NewEvent, stored_hash
from commands.stream_state import StreamState
from ledger.audit.side_fold import (
    ORDER_FIELDS,
    SideTableMismatchError,
    StreamFold,
    complaint_key,
    describe_order,
    order_key,
    order_values,
    stored_content_hash,
)
from ledger.storage.side_tables import complaints_table, event_ids_table, orders_table
from ledger.storage.write_sql import WriteStatements
from ledger.storage.write_transaction import WriteTransaction

# Streams whose folds a process keeps: an import that names customers in order needs a few; one
# that goes back and forth among more customers than this reads their streams again.
KEPT_STREAMS = 20_000
_STREAMS_PER_READ = 200
_COMPLAINT_EVENTS = (ComplaintFiled, ComplaintResponded, ComplaintResolved, ComplaintReopened)


class _Folds:
    """The folds one process keeps for one database, least recently used first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_stream: OrderedDict[UUID, StreamFold] = OrderedDict()

    def take(self, stream_id: UUID) -> StreamFold | None:
        with self.lock:
            return self.by_stream.pop(stream_id, None)

    def keep(self, folds: Iterable[StreamFold]) -> None:
        with self.lock:
            for fold in folds:
                self.by_stream[fold.stream_id] = fold
            while len(self.by_stream) > KEPT_STREAMS:
                self.by_stream.popitem(last=False)


_KEPT: WeakKeyDictionary[WriteStatements, _Folds] = WeakKeyDictionary()
# What each open transaction has compared already: ("orders" | "complaints" | "targets", stream, key). From then on the
# transaction's own state moves those rows, and the rules may have moved it for events a strict batch then dropped.
_CONFIRMED: WeakKeyDictionary[WriteTransaction, set[tuple[str, UUID, str]]] = WeakKeyDictionary()


def confirm_side_rows(transaction: WriteTransaction, events: list[NewEvent], taken: dict[str, str | None]) -> None:
    """Compare the side-table rows a prepared batch relies on with its customers' streams; raise SideTableMismatchError."""
    states = {event.customer: transaction.streams[event.customer] for event in events}
    folds = _folds(transaction, list(states.values()))
    confirmed = _CONFIRMED.setdefault(transaction, set())
    foreign: dict[str, str | None] = {}
    for event in events:
        fold = folds[states[event.customer].stream_id]
        if event.event_id in fold.content_hashes:
            _compare_event_id(event, fold, taken)
        elif event.event_id in taken:
            foreign[event.event_id] = taken[event.event_id]
    named: dict[str, list[Any]] = {customer: [] for customer in states}
    for event in events:
        named[event.customer].append(event.data)
    for state in states.values():
        fold = folds[state.stream_id]
        _compare_orders(state, fold, named[state.customer], confirmed)
        _compare_complaints(state, fold, named[state.customer], confirmed)
        _compare_targets(state, fold, confirmed)
    if foreign:
        _compare_foreign(transaction, foreign)
    _kept(transaction.sql).keep(folds.values())


def note_recorded(transaction: WriteTransaction, accepted: list[NewEvent], content_hashes: list[str]) -> None:
    """Fold a batch's events just recorded into their streams' kept folds, so that the next batch need not read them.

    The write transaction gave them the positions after the log's last one and each stream's
    next versions, in order, and left each stream's head at its last one. Should the transaction
    roll back, the next batch finds those folds ahead of the log and makes them again.
    """
    if not accepted or transaction.position is None:
        return
    kept = _kept(transaction.sql)
    counts: dict[str, int] = {}
    for event in accepted:
        counts[event.customer] = counts.get(event.customer, 0) + 1
    folds: dict[str, StreamFold | None] = {}
    for position, (event, digest) in enumerate(
        zip(accepted, content_hashes, strict=True), transaction.position - len(accepted) + 1
    ):
        state = transaction.streams[event.customer]
        if event.customer not in folds:
            fold = kept.take(state.stream_id)
            # The fold confirmed before the rules ran, at the stream's head before this batch.
            folds[event.customer] = fold if fold is not None and fold.version == state.version - counts[event.customer] else None
        fold = folds[event.customer]
        if fold is None:
            continue  # the next batch reads the stream
        fold.fold(position, fold.version + 1, event.event_id, event.data.wire_name, _fields(event.data), state.last_hash)
        fold.content_hashes[event.event_id] = digest
    kept.keep(fold for fold in folds.values() if fold is not None)


def _fields(data: EventData) -> dict[str, Any]:
    """Return what a fold reads of an event's data, as it is stored (amounts as their JSON text)."""
    if isinstance(data, PurchaseRecorded | RefundIssued):
        return {"order_id": data.order_id, "currency": data.currency, "amount": str(data.amount)}
    if isinstance(data, _COMPLAINT_EVENTS):
        return {"complaint_id": data.complaint_id}
    if isinstance(data, EventVoided):
        return {"target_event_id": data.target_event_id}
    if isinstance(data, EventCorrected):
        return {"target_event_id": data.target_event_id, "changes": data.changes}
    return {}


def _kept(sql: WriteStatements) -> _Folds:
    kept = _KEPT.get(sql)
    if kept is None:
        kept = _KEPT.setdefault(sql, _Folds())
    return kept


def _folds(transaction: WriteTransaction, states: list[StreamState]) -> dict[UUID, StreamFold]:
    """Return the fold of each stream up to its head as the transaction read it, reading only what no kept fold has."""
    kept = _kept(transaction.sql)
    folds: dict[UUID, StreamFold] = {}
    behind: list[tuple[StreamFold, StreamState]] = []
    for state in states:
        fold = kept.take(state.stream_id)
        if fold is None or fold.version > state.version or (fold.version == state.version and fold.last_hash != state.last_hash):
            fold = StreamFold(state.customer, state.stream_id)  # none, or one of a write that was rolled back
        folds[state.stream_id] = fold
        if fold.version < state.version:
            behind.append((fold, state))
    _read_tails(transaction, behind)
    again = []
    for fold, state in behind:
        if (fold.version, fold.last_hash) != (state.version, state.last_hash):
            folds[state.stream_id] = fresh = StreamFold(state.customer, state.stream_id)
            again.append((fresh, state))
    _read_tails(transaction, again)
    return folds


def _read_tails(transaction: WriteTransaction, behind: list[tuple[StreamFold, StreamState]]) -> None:
    """Fold each stream's events after its fold's version, in the transaction (up to its head), checking that they chain on."""
    sql = transaction.sql
    for start in range(0, len(behind), _STREAMS_PER_READ):
        chunk = behind[start : start + _STREAMS_PER_READ]
        by_stream = {transaction.driver_uuid(fold.stream_id): fold for fold, _ in chunk}
        conditions = " OR ".join([f"(originator_id = {sql.mark} AND originator_version > {sql.mark})"] * len(chunk))
        parameters = [value for driver_id, fold in by_stream.items() for value in (driver_id, fold.version)]
        transaction.cursor.execute(
            f"SELECT originator_id, id, originator_version, state FROM {sql.events} WHERE {conditions}"
            " ORDER BY originator_id, originator_version",
            parameters,
        )
        broken: set[int] = set()
        for stream_id, position, version, raw in transaction.cursor.fetchall():
            fold = by_stream[stream_id]
            if id(fold) in broken:
                continue
            stored = orjson.loads(bytes(raw))
            if version != fold.version + 1 or stored.get("prev_hash") != fold.last_hash:
                broken.add(id(fold))  # not this fold's continuation: the caller folds the stream again
                continue
            fold.fold(position, version, stored["event_id"], stored["type"], stored["data"], stored_hash(bytes(raw)))
            fold.content_hashes[stored["event_id"]] = stored_content_hash(stored)


def _compare_event_id(event: NewEvent, fold: StreamFold, taken: dict[str, str | None]) -> None:
    """Raise if the event-id index misses, or misdescribes, an event the customer's stream has."""
    if event.event_id not in taken:
        problem = f"no row, but customer {event.customer!r} has this event at position {fold.events[event.event_id].position}"
        raise SideTableMismatchError(event_ids_table.name, f"event_id {event.event_id!r}", problem, customer=event.customer)
    stored, expected = taken[event.event_id], fold.content_hashes[event.event_id]
    if stored is not None and expected is not None and stored != expected:
        problem = f"content_hash {stored!r}, the stored event hashes to {expected!r}"
        raise SideTableMismatchError(event_ids_table.name, f"event_id {event.event_id!r}", problem, customer=event.customer)


def _compare_orders(state: StreamState, fold: StreamFold, named: list[Any], confirmed: set[tuple[str, UUID, str]]) -> None:
    keys = {d.order_id for d in named if isinstance(d, PurchaseRecorded | RefundIssued)} | set(state.orders)
    keys |= {t.data["order_id"] for t in state.targets.values() if t.customer == state.customer and "order_id" in t.data}
    for order_id in sorted(keys):
        mark = (orders_table.name, state.stream_id, order_id)
        if mark in confirmed:
            continue
        found, wanted = order_values(state.orders.get(order_id)), order_values(fold.order(order_id))
        if found != wanted:
            problem = f"the row says {describe_order(found)}, the log gives {describe_order(wanted)}"
            raise SideTableMismatchError(orders_table.name, order_key(order_id, state.customer), problem, customer=state.customer)
        confirmed.add(mark)


def _compare_complaints(state: StreamState, fold: StreamFold, named: list[Any], confirmed: set[tuple[str, UUID, str]]) -> None:
    keys = {d.complaint_id for d in named if isinstance(d, _COMPLAINT_EVENTS)} | set(state.complaints)
    for complaint_id in sorted(keys):
        mark = (complaints_table.name, state.stream_id, complaint_id)
        if mark in confirmed:
            continue
        status = state.complaints.get(complaint_id)
        found, wanted = (None if status is None else status.value), fold.complaint(complaint_id)
        if found != wanted:
            says = ("no row" if found is None else repr(found), "no such complaint" if wanted is None else repr(wanted))
            problem = f"the row says {says[0]}, the log gives {says[1]}"
            key = complaint_key(complaint_id, state.customer)
            raise SideTableMismatchError(complaints_table.name, key, problem, customer=state.customer)
        confirmed.add(mark)


def _compare_targets(state: StreamState, fold: StreamFold, confirmed: set[tuple[str, UUID, str]]) -> None:
    """Raise if an event loaded as a void's or correction's target is not where, or as voided, as the log says."""
    for event_id, target in state.targets.items():
        mark = (event_ids_table.name, state.stream_id, event_id)
        # Position 0: accepted earlier in this transaction; another customer's: the rules refuse it.
        if not target.position or target.customer != state.customer or mark in confirmed:
            continue
        known = fold.events.get(event_id)
        if known is None or known.position != target.position or known.voided != target.voided:
            says = "nothing" if known is None else f"position {known.position}{', voided' if known.voided else ''}"
            problem = f"position {target.position}{', voided' if target.voided else ''}, the log gives {says}"
            raise SideTableMismatchError(event_ids_table.name, f"event_id {event_id!r}", problem, customer=state.customer)
        if known.type in (PurchaseRecorded.wire_name, RefundIssued.wire_name) and any(
            str(known.data.get(f)) != str(target.data.get(f)) for f in ORDER_FIELDS
        ):
            problem = "its corrections (target_event_id) are not those of the log"
            raise SideTableMismatchError(event_ids_table.name, f"event_id {event_id!r}", problem, customer=state.customer)
        confirmed.add(mark)


def _compare_foreign(transaction: WriteTransaction, taken: dict[str, str | None]) -> None:
    """Raise if an event id the index has, but not in the batch event's own stream, names no such stored event."""
    sql = transaction.sql
    marks = ", ".join([sql.mark] * len(taken))
    transaction.cursor.execute(
        f"SELECT i.event_id, i.position, e.state FROM {event_ids_table.name} AS i"
        f" LEFT JOIN {sql.events} AS e ON e.id = i.position WHERE i.event_id IN ({marks})",
        list(taken),
    )
    for event_id, position, raw in transaction.cursor.fetchall():
        stored = None if raw is None else orjson.loads(bytes(raw))
        if stored is None or stored["event_id"] != event_id:
            problem = f"position {position}, where the log has {'no event' if stored is None else repr(stored['event_id'])}"
            raise SideTableMismatchError(event_ids_table.name, f"event_id {event_id!r}", problem, position)
        expected, found = stored_content_hash(stored), taken[event_id]
        if expected is not None and found is not None and expected != found:
            problem = f"content_hash {found!r}, the event at position {position} hashes to {expected!r}"
            raise SideTableMismatchError(event_ids_table.name, f"event_id {event_id!r}", problem, position)
