"""The compact state of a customer stream: what the rules need, kept up to date on append.

Appends never replay a stream; they load this state for the customers, orders
and complaints a batch touches and update it in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from commands.corrections import CORRECTION_TYPES, corrected_data
from commands.currencies import MINOR_UNITS
from commands.events import (
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    EventCorrected,
    EventData,
    EventVoided,
    PurchaseRecorded,
    RefundIssued,
)
from commands.records import GENESIS_HASH


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Convert an amount to an integer count of the currency's minor units (cents)."""
    return int(amount.scaleb(MINOR_UNITS[currency]))


class ComplaintStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(slots=True)
class OrderBalance:
    """Money paid and refunded on one order, in minor units of its currency."""

    currency: str
    paid_minor: int = 0
    refunded_minor: int = 0
    is_new: bool = False

    @property
    def unrefunded_minor(self) -> int:
        """Return what may still be refunded."""
        return self.paid_minor - self.refunded_minor


@dataclass(slots=True)
class Target:
    """An earlier event that a void or correction refers to, with its data as corrected so far."""

    event_id: str
    position: int
    customer: str
    type: str
    data: dict[str, Any]
    voided: bool = False

    @property
    def is_correction(self) -> bool:
        """Tell whether the target is itself a void or a correction."""
        return self.type in CORRECTION_TYPES


@dataclass(slots=True)
class StreamState:
    """The head of one customer's stream and the parts of its state a batch touches."""

    stream_id: UUID
    customer: str
    version: int = 0
    last_hash: str = GENESIS_HASH
    orders: dict[str, OrderBalance] = field(default_factory=dict)
    complaints: dict[str, ComplaintStatus] = field(default_factory=dict)
    new_complaints: set[str] = field(default_factory=set)
    targets: dict[str, Target] = field(default_factory=dict)
    stream_text: str = field(init=False)  # the stream id as hashed: formatted once, not per event

    def __post_init__(self) -> None:
        self.stream_text = str(self.stream_id)

    def apply(self, data: EventData) -> None:
        """Evolve the state by one event that passed the rules."""
        match data:
            case PurchaseRecorded(order_id=order_id, currency=currency, amount=amount):
                order = self.orders.get(order_id)
                if order is None:
                    order = self.orders[order_id] = OrderBalance(currency=currency, is_new=True)
                order.paid_minor += to_minor_units(amount, currency)
            case RefundIssued(order_id=order_id, amount=amount):
                order = self.orders[order_id]
                order.refunded_minor += to_minor_units(amount, order.currency)
            case ComplaintFiled(complaint_id=complaint_id):
                self.complaints[complaint_id] = ComplaintStatus.OPEN
                self.new_complaints.add(complaint_id)
            case ComplaintResolved(complaint_id=complaint_id):
                self.complaints[complaint_id] = ComplaintStatus.RESOLVED
            case ComplaintReopened(complaint_id=complaint_id):
                self.complaints[complaint_id] = ComplaintStatus.OPEN
            case EventVoided(target_event_id=target_id):
                target = self.targets[target_id]
                self._adjust_order(target, -_minor(target.data))
                target.voided = True
            case EventCorrected(target_event_id=target_id, changes=changes):
                target = self.targets[target_id]
                corrected = corrected_data(target.data, changes)
                self._adjust_order(target, _minor(corrected) - _minor(target.data))
                target.data = corrected

    def _adjust_order(self, target: Target, delta_minor: int) -> None:
        """Move an order's paid or refunded total when a purchase or refund is voided or corrected."""
        if target.type == PurchaseRecorded.wire_name:
            self.orders[target.data["order_id"]].paid_minor += delta_minor
        elif target.type == RefundIssued.wire_name:
            self.orders[target.data["order_id"]].refunded_minor += delta_minor


def _minor(data: dict[str, Any]) -> int:
    if "amount" not in data or "currency" not in data:
        return 0
    return to_minor_units(Decimal(str(data["amount"])), data["currency"])
