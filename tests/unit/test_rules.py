"""Stream rules: refunds and complaint transitions against a stream's state (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commands.errors import RuleViolationError
from commands.events import (
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    ComplaintResponded,
    PurchaseRecorded,
    RefundIssued,
)
from commands.records import stream_id_for
from commands.rules import check_event
from commands.stream_state import ComplaintStatus, StreamState


def new_state() -> StreamState:
    return StreamState(stream_id_for("C-1"), "C-1")


def accept(state: StreamState, data) -> None:
    state.apply(check_event(state, data))


def purchase(amount: str, order: str = "O-1", currency: str = "EUR") -> PurchaseRecorded:
    return PurchaseRecorded(order_id=order, amount=Decimal(amount), currency=currency)


def refund(amount: str, order: str = "O-1", currency: str | None = None) -> RefundIssued:
    return RefundIssued(order_id=order, amount=Decimal(amount), currency=currency)


def violation(state: StreamState, data) -> str:
    with pytest.raises(RuleViolationError) as caught:
        check_event(state, data)
    return str(caught.value)


def test_refunds_up_to_the_paid_amount_then_no_more():
    state = new_state()
    accept(state, purchase("30.00"))
    accept(state, refund("10.00"))
    accept(state, refund("20.00"))
    assert state.orders["O-1"].unrefunded_minor == 0
    assert "exceeds the 0.00 EUR still unrefunded on order O-1" in violation(state, refund("0.01"))


def test_refund_above_payment_is_rejected_with_the_amount_left():
    state = new_state()
    accept(state, purchase("19.99"))
    message = violation(state, refund("20.00"))
    assert message == "data.amount: refund of 20.00 EUR exceeds the 19.99 EUR still unrefunded on order O-1"


def test_refund_of_unknown_order():
    assert violation(new_state(), refund("1")) == "data.order_id: no purchase with order_id O-1 for this customer"


def test_refund_is_stored_in_the_order_currency():
    state = new_state()
    accept(state, purchase("1000", currency="JPY"))
    stored = check_event(state, refund("250"))
    assert stored.currency == "JPY"
    assert str(stored.amount) == "250"
    assert "JPY" in violation(state, refund("1.5"))
    assert "order O-1 is in JPY, not EUR" in violation(state, refund("1", currency="EUR"))


def test_several_purchase_lines_on_one_order_add_up():
    state = new_state()
    accept(state, purchase("5.00"))
    accept(state, purchase("7.50"))
    assert state.orders["O-1"].paid_minor == 1250
    assert "in EUR, not USD" in violation(state, purchase("1", currency="USD"))


def test_zero_purchase_cannot_be_refunded():
    state = new_state()
    accept(state, purchase("0"))
    assert "exceeds" in violation(state, refund("0.01"))


def test_complaint_lifecycle():
    state = new_state()
    accept(state, ComplaintFiled(complaint_id="K-1", severity="high"))
    accept(state, ComplaintResponded(complaint_id="K-1"))
    accept(state, ComplaintResolved(complaint_id="K-1"))
    assert state.complaints["K-1"] is ComplaintStatus.RESOLVED
    accept(state, ComplaintReopened(complaint_id="K-1"))
    accept(state, ComplaintResolved(complaint_id="K-1"))


def test_complaint_filed_once():
    state = new_state()
    accept(state, ComplaintFiled(complaint_id="K-1", severity="low"))
    assert "already filed" in violation(state, ComplaintFiled(complaint_id="K-1", severity="low"))


@pytest.mark.parametrize("step", [ComplaintResponded, ComplaintResolved, ComplaintReopened])
def test_steps_need_a_known_complaint(step):
    assert "no complaint K-9 for this customer" in violation(new_state(), step(complaint_id="K-9"))


def test_resolved_complaint_cannot_be_resolved_or_answered():
    state = new_state()
    accept(state, ComplaintFiled(complaint_id="K-1", severity="low"))
    accept(state, ComplaintResolved(complaint_id="K-1"))
    assert "is resolved" in violation(state, ComplaintResolved(complaint_id="K-1"))
    assert "is resolved" in violation(state, ComplaintResponded(complaint_id="K-1"))


def test_only_resolved_complaints_reopen():
    state = new_state()
    accept(state, ComplaintFiled(complaint_id="K-1", severity="low"))
    assert "only a resolved complaint can be reopened" in violation(state, ComplaintReopened(complaint_id="K-1"))


def test_an_order_total_beyond_64_bit_minor_units_is_refused():
    state = StreamState(stream_id_for("C-1"), "C-1")
    huge = PurchaseRecorded(order_id="O-1", amount=Decimal("50000000000000000.00"), currency="EUR")
    state.apply(check_event(state, huge))
    with pytest.raises(RuleViolationError, match="would total more than"):
        check_event(state, huge)
    assert state.orders["O-1"].paid_minor == 5 * 10**18
