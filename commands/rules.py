"""Rules an event must pass against its customer's stream, checked at append time."""

from __future__ import annotations

from decimal import Decimal

from commands.corrections import check_correction, check_void
from commands.currencies import MINOR_UNITS
from commands.errors import RuleViolationError
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
from commands.stream_state import ComplaintStatus, StreamState, to_minor_units


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


def check_purchase(state: StreamState, purchase: PurchaseRecorded) -> None:
    """A further purchase on an existing order must be in that order's currency."""
    order = state.orders.get(purchase.order_id)
    if order is not None and order.currency != purchase.currency:
        raise RuleViolationError("data.currency", f"order {purchase.order_id} is in {order.currency}, not {purchase.currency}")


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
        left = Decimal(order.unrefunded_minor).scaleb(-places)
        raise RuleViolationError(
            "data.amount",
            f"refund of {refund.amount} {order.currency} exceeds the {left} {order.currency} "
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
