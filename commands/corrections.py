"""Rules for voids and corrections: they refer to an earlier event of the same customer."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from commands.currencies import MINOR_UNITS
from commands.errors import RuleViolationError
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
from commands.inputs import pydantic_problems
from commands.stream_state import StreamState, Target, to_minor_units

# Fields that say which order or complaint an event belongs to: a mistake there
# is fixed by voiding the event and recording the right one.
IDENTITY_FIELDS = frozenset({"order_id", "currency", "complaint_id"})
# Complaint steps drive the complaint's state; they are not voided but followed by further steps.
STATE_CHANGING_STEPS = frozenset({ComplaintFiled.wire_name, ComplaintResolved.wire_name, ComplaintReopened.wire_name})


def check_target(state: StreamState, target_event_id: str) -> Target:
    """Return the target of a void or correction, or raise if it cannot be corrected."""
    target = state.targets.get(target_event_id)
    if target is None:
        raise RuleViolationError("data.target_event_id", f"no event {target_event_id} in the ledger")
    if target.customer != state.customer:
        raise RuleViolationError("data.target_event_id", f"event {target_event_id} belongs to another customer")
    if target.voided:
        raise RuleViolationError("data.target_event_id", f"event {target_event_id} is voided")
    if target.is_correction:
        raise RuleViolationError("data.target_event_id", f"event {target_event_id} is a correction: corrections are final")
    return target


def check_void(state: StreamState, void: EventVoided) -> EventVoided:
    """A void removes a purchase or refund from its order's totals; refunds must never exceed what stays paid."""
    target = check_target(state, void.target_event_id)
    if target.type in STATE_CHANGING_STEPS:
        raise RuleViolationError(
            "data.target_event_id", f"a {target.type} cannot be voided: record a further complaint step instead"
        )
    if target.type == PurchaseRecorded.wire_name:
        order = state.orders[target.data["order_id"]]
        remaining = order.paid_minor - to_minor_units(Decimal(target.data["amount"]), order.currency)
        if remaining < order.refunded_minor:
            raise RuleViolationError(
                "data.target_event_id",
                f"voiding it would leave {_money(order.refunded_minor, order.currency)} refunded on order "
                f"{target.data['order_id']} against {_money(remaining, order.currency)} paid: void the refunds first",
            )
    return void


def check_correction(state: StreamState, correction: EventCorrected) -> EventCorrected:
    """A correction changes existing data fields of its target; the corrected event must still be valid."""
    target = check_target(state, correction.target_event_id)
    data_cls = EVENT_TYPES[target.type]
    for field in correction.changes:
        if field not in data_cls.model_fields:
            raise RuleViolationError(f"data.changes.{field}", f"{target.type} has no field {field}")
        if field in IDENTITY_FIELDS:
            raise RuleViolationError(f"data.changes.{field}", f"{field} cannot be corrected: void the event and record it again")
    try:
        corrected = data_cls.model_validate({**target.data, **correction.changes})
    except ValidationError as error:
        field, reason = pydantic_problems(error, prefix="data.changes")[0]
        raise RuleViolationError(field, reason) from None
    dumped = corrected.model_dump(mode="json", exclude_none=True)
    changes = {field: dumped.get(field) for field in correction.changes}
    if "amount" in changes and target.type in (PurchaseRecorded.wire_name, RefundIssued.wire_name):
        order = state.orders[target.data["order_id"]]
        delta = to_minor_units(Decimal(str(changes["amount"])), order.currency) - to_minor_units(
            Decimal(target.data["amount"]), order.currency
        )
        paid = order.paid_minor + (delta if target.type == PurchaseRecorded.wire_name else 0)
        refunded = order.refunded_minor + (delta if target.type == RefundIssued.wire_name else 0)
        if refunded > paid:
            raise RuleViolationError(
                "data.changes.amount",
                f"order {target.data['order_id']} would have {_money(refunded, order.currency)} refunded "
                f"against {_money(paid, order.currency)} paid",
            )
    return correction.model_copy(update={"changes": changes})


def _money(minor: int, currency: str) -> str:
    return f"{Decimal(minor).scaleb(-MINOR_UNITS[currency])} {currency}"
