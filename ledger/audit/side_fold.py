"""The side tables as the log says they should be: one stream's stored events folded into orders, complaints and event ids.

The write path keeps ``ledger_orders``, ``ledger_complaints`` and ``ledger_event_ids`` up to
date so that an append reads a few rows instead of its customer's stream. Those rows are
not sealed: this fold derives them again from the hash-chained events, as the write
path's ``StreamState`` evolves them. ``verify`` compares every row with it
(``ledger.audit.side_tables_check``); the write path compares the rows a batch relies on
(``ledger.audit.write_guard``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from commands.corrections import corrected_data
from commands.currencies import MINOR_UNITS
from commands.errors import LedgerError
from commands.events import (
    EVENT_TYPES,
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    EventCorrected,
    EventVoided,
    PurchaseRecorded,
    RefundIssued,
)
from commands.records import GENESIS_HASH
from commands.stream_state import ComplaintStatus, OrderBalance, Target, to_minor_units
from ledger.audit.event_check import VerificationFailedError
from ledger.storage.side_tables import content_hash_of_facts

ORDER_FIELDS = ("order_id", "currency", "amount")  # what of a target moves its order's totals
# Events the rules store otherwise than given (``commands.rules``: check_refund, check_correction).
_REWRITTEN_BY_RULES = (RefundIssued, EventCorrected)
ORDER_EVENTS = frozenset({PurchaseRecorded.wire_name, RefundIssued.wire_name})
_PURCHASE, _REFUND = PurchaseRecorded.wire_name, RefundIssued.wire_name
_VOID, _CORRECTION = EventVoided.wire_name, EventCorrected.wire_name
# The types that move a side table's row (every type moves the event-id index).
FOLDED = frozenset(
    {_PURCHASE, _REFUND, _VOID, _CORRECTION, ComplaintFiled.wire_name, ComplaintResolved.wire_name, ComplaintReopened.wire_name}
)
_COMPLAINT_STATUS = {
    ComplaintFiled.wire_name: ComplaintStatus.OPEN,
    ComplaintResolved.wire_name: ComplaintStatus.RESOLVED,
    ComplaintReopened.wire_name: ComplaintStatus.OPEN,
}


class SideTableMismatchError(VerificationFailedError):
    """A side table's row differs from what the log gives: names the table, the row's key and both values."""

    def __init__(self, table: str, key: str, problem: str, position: int = 0, customer: str | None = None):
        self.table, self.key, self.detail = table, key, problem
        self.position, self.problem, self.customer, self.event_id = position, f"{table} {key}: {problem}", customer, None
        # Not "at position N" as the log's failures: a missing or surplus row has no event of its own.
        LedgerError.__init__(self, f"verification failed: {self.problem}; the log is the record, not this table")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.table, self.key, self.detail, self.position, self.customer)


@dataclass(slots=True)
class StreamFold:
    """One stream's side-table state as its stored events give it, up to a version whose hash is ``last_hash``.

    What each event does is ``StreamState.apply``'s (``commands.stream_state``), on the stored
    JSON values: a verify folds every event of the log, and building the rules' models for
    them cost more than the rest of it.
    """

    customer: str
    stream_id: Any  # as the caller keys streams (a UUID, or the driver's form)
    version: int = 0
    last_hash: str = GENESIS_HASH
    # Whether to keep every event as a possible target; else only those that move orders (a verify's
    # fold of the whole log: it takes voided events from the voids themselves).
    all_events: bool = True
    orders: dict[str, OrderBalance] = field(default_factory=dict)
    complaints: dict[str, ComplaintStatus] = field(default_factory=dict)
    # The stream's events by event_id (position, type, data as corrected, voided).
    events: dict[str, Target] = field(default_factory=dict)
    # The content hash of each event by event_id (None where the stored state cannot tell it), for the write path's duplicates.
    content_hashes: dict[str, str | None] = field(default_factory=dict)

    def fold(self, position: int, version: int, event_id: str, kind: str, data: Mapping[str, Any], event_hash: str) -> None:
        """Fold the next event of this stream, given its type and data as stored (JSON values)."""
        if kind not in FOLDED:
            if self.all_events:
                self.events[event_id] = Target(event_id, position, self.customer, kind, {})
            self.version, self.last_hash = version, event_hash
            return
        if kind == _PURCHASE:
            order = self.orders.get(data["order_id"])
            if order is None:
                order = self.orders[data["order_id"]] = OrderBalance(data["currency"])
            order.paid_minor += minor_units(data["amount"], data["currency"])
        elif kind == _REFUND:
            order = self.orders.get(data["order_id"])
            if order is not None:  # the rules store no other
                order.refunded_minor += minor_units(data["amount"], order.currency)
        elif kind in _COMPLAINT_STATUS:
            self.complaints[data["complaint_id"]] = _COMPLAINT_STATUS[kind]
        elif kind == _VOID:
            target = self.events.get(data["target_event_id"])
            if target is not None:
                self._adjust_order(target, -_minor(target.data))
                target.voided = True
        elif kind == _CORRECTION:
            target = self.events.get(data["target_event_id"])
            if target is not None:
                corrected = corrected_data(target.data, data["changes"])
                if target.type in ORDER_EVENTS:
                    corrected = {f: corrected[f] for f in ORDER_FIELDS if f in corrected}
                    self._adjust_order(target, _minor(corrected) - _minor(target.data))
                target.data = corrected if target.type in ORDER_EVENTS else {}
        if kind in ORDER_EVENTS:
            fields = {f: data[f] for f in ORDER_FIELDS if f in data}
            self.events[event_id] = Target(event_id, position, self.customer, kind, fields)
        elif self.all_events:
            # Only an order's events need their data: what a void or correction of any other moves is no side table's.
            self.events[event_id] = Target(event_id, position, self.customer, kind, {})
        self.version, self.last_hash = version, event_hash

    def _adjust_order(self, target: Target, delta_minor: int) -> None:
        order = self.orders.get(target.data.get("order_id", ""))
        if order is None:
            return
        if target.type == _PURCHASE:
            order.paid_minor += delta_minor
        else:
            order.refunded_minor += delta_minor

    def order(self, order_id: str) -> OrderBalance | None:
        """Return an order's balance as the log gives it, or None if the stream has no such order."""
        return self.orders.get(order_id)

    def complaint(self, complaint_id: str) -> str | None:
        """Return a complaint's status as the log gives it, or None if the stream filed no such complaint."""
        status = self.complaints.get(complaint_id)
        return None if status is None else status.value


def _minor(data: Mapping[str, Any]) -> int:
    """Return what an order event's data moves its order by (as ``StreamState``'s own: nothing without its currency)."""
    if "amount" not in data or "currency" not in data:
        return 0
    return minor_units(data["amount"], data["currency"])


def minor_units(amount: Any, currency: str) -> int:
    """Return ``to_minor_units`` of a stored amount (its JSON text), without a Decimal for the plain forms it is stored in."""
    text = str(amount)
    whole, point, fraction = text.partition(".")
    places = MINOR_UNITS[currency]
    if whole.isdigit() and (not point or fraction.isdigit()) and len(fraction) <= places:
        return int(whole + fraction.ljust(places, "0"))
    return to_minor_units(Decimal(text), currency)


def stored_content_hash(stored: dict[str, Any]) -> str | None:
    """Return the content hash (``content_hash``) of a stored event, or None where the stored state cannot tell it.

    The hash is of the event as given, before the rules: a refund is stored in its order's
    currency and minor units, a correction's changes as validated, so neither can be told
    from what is stored. Computed on the stored JSON values, in the model's field order, without validating
    them again (a verify does this for every event): the event data has no field whose
    JSON form differs from what ``content_hash`` makes of its value.
    """
    kind = stored["type"]
    fields = _HASHED_FIELDS.get(kind)
    if fields is None:
        return None
    data = stored["data"]
    data_cls = EVENT_TYPES[kind]
    if stored.get("class_version", 1) < data_cls.class_version:
        data = dict(data)
        for from_version in range(stored.get("class_version", 1), data_cls.class_version):
            getattr(data_cls, f"upcast_v{from_version}_v{from_version + 1}")(data)
    facts = {}
    for name, default in fields:
        value = data.get(name, default)
        if value is not None:
            facts[name] = value
    return content_hash_of_facts(stored["customer"], kind, facts)


def _hashed_fields() -> dict[str, tuple[tuple[str, Any], ...]]:
    """Return, by event type, the fields ``content_hash`` covers with their defaults (none for types the rules rewrite)."""
    return {
        kind: tuple(
            (name, info.get_default(call_default_factory=True))
            for name, info in data_cls.model_fields.items()
            if name not in data_cls.personal_fields
        )
        for kind, data_cls in EVENT_TYPES.items()
        if data_cls not in _REWRITTEN_BY_RULES
    }


_HASHED_FIELDS = _hashed_fields()


def order_values(order: OrderBalance | None) -> tuple[str, int, int] | None:
    """Return what a ledger_orders row holds of an order (currency, paid, refunded), None for no row."""
    return None if order is None else (order.currency, order.paid_minor, order.refunded_minor)


def describe_order(values: tuple[str, int, int] | None) -> str:
    """Say what an order row holds, or that there is none."""
    if values is None:
        return "no row"
    currency, paid, refunded = values
    return f"{currency} paid {paid}, refunded {refunded} (minor units)"


def order_key(order_id: str, customer: str | None, stream: object = None) -> str:
    """Name an order's row: its order id and customer (its stream, for a row no event of the log explains)."""
    return f"order {order_id!r} of {_owner(customer, stream)}"


def complaint_key(complaint_id: str, customer: str | None, stream: object = None) -> str:
    """Name a complaint's row: its complaint id and customer (or stream)."""
    return f"complaint {complaint_id!r} of {_owner(customer, stream)}"


def _owner(customer: str | None, stream: object) -> str:
    return f"customer {customer!r}" if customer is not None else f"stream {stream}"
