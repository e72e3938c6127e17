"""Rules an event must pass against its customer's stream, checked at append time."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from commands.corrections import IDENTITY_FIELDS, STATE_CHANGING_STEPS
from commands.currencies import MINOR_UNITS
from commands.errors import RuleViolationError
from commands.events import (
    EVENT_TYPES,
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
from commands.events_identity import IDENTITY_TYPES
from commands.events_privacy import FINAL_TYPES
from commands.inputs import pydantic_problems
from commands.stream_state import ComplaintStatus, StreamState, Target, to_minor_units


def check_event(state: StreamState, data: EventData) -> EventData:
    """Return the data to store, completed from the stream; raise RuleViolationError if it may not be appended now."""
    match data:
        case PurchaseRecorded():
            check_purchase(state, data)
        case RefundIssued():
            return check_refund(state, data)
        case ComplaintFiled():
            check_complaint_new(state, data.complaint_id)
        case ComplaintResponded() | ComplaintResolved():
            check_complaint_open(state, data.complaint_id, data.wire_name)
        case ComplaintReopened():
            check_complaint_resolved(state, data.complaint_id)
        case EventVoided():
            return check_void(state, data)
        case EventCorrected():
            return check_correction(state, data)
    return data


# An order's totals are kept in minor units as 64-bit integers, in the side table and in every database.
MAX_ORDER_MINOR = 2**63 - 1


def check_purchase(state: StreamState, purchase: PurchaseRecorded) -> None:
    """A further purchase on an existing order must be in that order's currency, and its total must stay countable."""
    order = state.orders.get(purchase.order_id)
    if order is not None and order.currency != purchase.currency:
        raise RuleViolationError("data.currency", f"order {purchase.order_id} is in {order.currency}, not {purchase.currency}")
    paid = (order.paid_minor if order is not None else 0) + to_minor_units(purchase.amount, purchase.currency)
    check_order_total(purchase.order_id, paid, purchase.currency)


def check_order_total(order_id: str, paid_minor: int, currency: str) -> None:
    """Refuse an order whose total paid would pass what the ledger counts (64-bit minor units)."""
    if paid_minor > MAX_ORDER_MINOR:
        raise RuleViolationError(
            "data.amount",
            f"order {order_id} would total more than {_money(MAX_ORDER_MINOR, currency)}, the most the ledger counts",
        )


def check_refund(state: StreamState, refund: RefundIssued) -> RefundIssued:
    """A refund needs a purchase with that order_id and may not exceed what is still unrefunded.

    Returns the refund in its order's currency and minor units, as it is stored.
    """
    order = state.orders.get(refund.order_id)
    if order is None:
        raise RuleViolationError("data.order_id", f"no purchase with order_id {refund.order_id} for this customer")
    if refund.currency is not None and refund.currency != order.currency:
        raise RuleViolationError("data.currency", f"order {refund.order_id} is in {order.currency}, not {refund.currency}")
    places = MINOR_UNITS[order.currency]
    if refund.amount != refund.amount.quantize(Decimal(1).scaleb(-places)):
        raise RuleViolationError(
            "data.amount", f"{refund.amount} has more than {places} decimal places, the most {order.currency} allows"
        )
    requested = to_minor_units(refund.amount, order.currency)
    if requested > order.unrefunded_minor:
        raise RuleViolationError(
            "data.amount",
            f"refund of {refund.amount} {order.currency} exceeds the {_money(order.unrefunded_minor, order.currency)} "
            f"still unrefunded on order {refund.order_id}",
        )
    return refund.model_copy(update={"currency": order.currency, "amount": Decimal(requested).scaleb(-places)})


def check_complaint_new(state: StreamState, complaint_id: str) -> None:
    """A complaint_id is filed once per customer."""
    if complaint_id in state.complaints:
        raise RuleViolationError("data.complaint_id", f"complaint {complaint_id} was already filed")


def check_complaint_open(state: StreamState, complaint_id: str, action: str) -> None:
    """Only an open complaint of this customer can be responded to or resolved."""
    status = state.complaints.get(complaint_id)
    if status is None:
        raise RuleViolationError("data.complaint_id", f"no complaint {complaint_id} for this customer")
    if status is not ComplaintStatus.OPEN:
        raise RuleViolationError(
            "data.complaint_id", f"complaint {complaint_id} is {status.value}: {action} needs an open complaint"
        )


def check_complaint_resolved(state: StreamState, complaint_id: str) -> None:
    """Only a resolved complaint can be reopened."""
    status = state.complaints.get(complaint_id)
    if status is None:
        raise RuleViolationError("data.complaint_id", f"no complaint {complaint_id} for this customer")
    if status is not ComplaintStatus.RESOLVED:
        raise RuleViolationError(
            "data.complaint_id", f"complaint {complaint_id} is {status.value}: only a resolved complaint can be reopened"
        )


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
    if target.type in FINAL_TYPES:
        raise RuleViolationError("data.target_event_id", f"a {target.type} is final: record a further privacy event instead")
    if target.type in IDENTITY_TYPES:
        raise RuleViolationError("data.target_event_id", f"a {target.type} is final: link or unlink the identifier instead")
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
    """A correction changes existing data fields of its target; the corrected event must still be valid.

    Returns the correction with its changes as the target's type stores them (a
    change to None of an optional field stays None: it removes the field).
    """
    target = check_target(state, correction.target_event_id)
    data_cls = EVENT_TYPES[target.type]
    for field in correction.changes:
        if field not in data_cls.model_fields:
            raise RuleViolationError(f"data.changes.{field}", f"{target.type} has no field {field}")
        if field in IDENTITY_FIELDS:
            raise RuleViolationError(f"data.changes.{field}", f"{field} cannot be corrected: void the event and record it again")
    try:
        # Validated with the changes as given, so that None for a required or defaulted field is refused.
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
        check_order_total(target.data["order_id"], paid, order.currency)
        refunded = order.refunded_minor + (delta if target.type == RefundIssued.wire_name else 0)
        if refunded > paid:
            raise RuleViolationError(
                "data.changes.amount",
                f"order {target.data['order_id']} would have {_money(refunded, order.currency)} refunded "
                f"against {_money(paid, order.currency)} paid",
            )
    return correction.model_copy(update={"changes": changes})


def _money(minor: int, currency: str) -> str:
    """Format minor units as an amount with its currency, e.g. ``12.50 EUR``."""
    return f"{Decimal(minor).scaleb(-MINOR_UNITS[currency])} {currency}"
