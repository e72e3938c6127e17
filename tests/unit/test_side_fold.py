"""The side tables' fold and stored content hashes, without a database: they must say what the write path's own code says."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.inputs import parse_event
from commands.records import GENESIS_HASH, stored_state
from commands.stream_state import StreamState, Target
from ledger.audit.side_fold import SideTableMismatchError, StreamFold, order_values, stored_content_hash
from ledger.config import LedgerSettings
from ledger.sample_data import generate_events
from ledger.storage.side_tables import content_hash

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def stored(event) -> dict:
    """The state the write path stores for an event, decoded as a reader gets it."""
    state = stored_state(
        event_id=event.event_id,
        customer=event.customer,
        occurred_at=event.occurred_at,
        recorded_at="2025-06-01T00:00:00Z",
        source=event.source,
        actor=event.actor,
        correlation_id=event.correlation_id,
        data=event.data,
        prev_hash=GENESIS_HASH,
    )
    return orjson.loads(orjson.dumps(state))


def test_a_stored_event_hashes_as_it_was_given_for_every_type_the_rules_store_as_given():
    raws = list(generate_events(40, 5, date(2022, 1, 1), date(2024, 12, 31)))
    kinds = set()
    for raw in raws:
        event = parse_event(raw, LedgerSettings(), NOW)
        found = stored_content_hash(stored(event))
        if event.data.wire_name in ("refund", "event_corrected"):
            assert found is None  # stored otherwise than given: not told from the stored state
        else:
            assert found == content_hash(event), raw
            kinds.add(event.data.wire_name)
    assert {"purchase", "contact", "complaint_filed", "survey_answered", "customer_registered"} <= kinds


def test_an_unknown_type_has_no_content_hash():
    assert stored_content_hash({"type": "no_such_type", "customer": "C-1", "data": {}}) is None


AMOUNTS = st.integers(1, 5000).map(lambda cents: Decimal(cents).scaleb(-2))
STEPS = st.lists(st.tuples(st.sampled_from(["purchase", "refund", "void", "correct"]), st.integers(0, 3), AMOUNTS), max_size=30)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS)
def test_the_fold_moves_orders_as_the_rules_state_does(steps):
    """Whatever sequence (rules aside), the fold of the stored data and StreamState.apply give the same order balances."""
    from commands.events import EventCorrected, EventVoided, PurchaseRecorded, RefundIssued

    state, fold = StreamState(stream_id=None, customer="C-1"), StreamFold("C-1", "s")  # type: ignore[arg-type]
    for n, (kind, pick, amount) in enumerate(steps):
        event_id, order_id = f"e{n}", f"O-{pick % 2}"
        if kind == "purchase":
            data = PurchaseRecorded(order_id=order_id, currency="EUR", amount=amount)
        elif kind == "refund":
            if order_id not in state.orders:
                continue
            data = RefundIssued(order_id=order_id, currency="EUR", amount=amount)
        else:
            target = next((t for t in state.targets.values() if t.type in ("purchase", "refund") and not t.voided), None)
            if target is None:
                continue
            if kind == "void":
                data = EventVoided(target_event_id=target.event_id, reason="r")
            else:
                data = EventCorrected(target_event_id=target.event_id, changes={"amount": str(amount)})
        state.apply(data)
        dumped = data.model_dump(mode="json", exclude_none=True)
        if isinstance(data, PurchaseRecorded | RefundIssued):
            state.targets[event_id] = Target(event_id, n + 1, "C-1", data.wire_name, dumped)
        fold.fold(n + 1, n + 1, event_id, data.wire_name, dumped, "h")
        assert {k: order_values(o) for k, o in fold.orders.items()} == {k: order_values(o) for k, o in state.orders.items()}
        voided = {k for k, t in state.targets.items() if t.voided}
        assert {k for k, t in fold.events.items() if t.voided} == voided


def test_a_mismatch_says_table_key_and_both_values_and_pickles():
    import pickle

    error = SideTableMismatchError("ledger_orders", "order 'O-1' of customer 'C-1'", "the row says x, the log gives y", 7, "C-1")
    assert str(error) == (
        "verification failed: ledger_orders order 'O-1' of customer 'C-1': the row says x, the log gives y;"
        " the log is the record, not this table"
    )
    assert (error.exit_code, error.table, error.position, error.customer) == (3, "ledger_orders", 7, "C-1")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)


@pytest.mark.parametrize("kind", ["complaint_filed", "complaint_resolved", "complaint_reopened"])
def test_complaint_steps_set_the_status(kind):
    fold = StreamFold("C-1", "s")
    fold.fold(1, 1, "k", kind, {"complaint_id": "K-1"}, "h")
    assert fold.complaint("K-1") == ("resolved" if kind == "complaint_resolved" else "open")
    assert fold.complaint("K-2") is None


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("9.99", "EUR"), ("10", "EUR"), ("0.5", "EUR"), ("1500", "JPY"), ("1.234", "KWD"), ("1E+1", "EUR"), ("0.00", "USD")],
)
def test_minor_units_of_a_stored_amount_are_the_rules_own(amount, currency):
    from commands.stream_state import to_minor_units
    from ledger.audit.side_fold import minor_units

    assert minor_units(amount, currency) == to_minor_units(Decimal(amount), currency)
