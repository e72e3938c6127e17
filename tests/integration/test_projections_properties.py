"""Property: for any history (voids and corrections included), a rebuild and incremental batches of any sizes agree."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from unittest import mock

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.errors import LedgerError
from ledger import rebuild as rebuild_module
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.storage.projection_state import ProjectionState
from tests.projection_batches import build_incrementally, rows_of

START = date(2024, 1, 1)
customers = st.sampled_from(["A", "B", "C"])
orders = st.sampled_from(["O1", "O2", "O3"])
complaints = st.sampled_from(["K1", "K2"])
days = st.integers(min_value=0, max_value=500).map(lambda n: (START + timedelta(days=n)).isoformat())
channels = st.sampled_from(["phone", "email", "web"])

event = st.one_of(
    st.fixed_dictionaries({"type": st.just("contact"), "data": st.fixed_dictionaries({"channel": channels})}),
    st.fixed_dictionaries(
        {
            "type": st.just("purchase"),
            "data": st.fixed_dictionaries({"order_id": orders, "amount": st.sampled_from(["0", "5.00", "12.50", "99.99"])}),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("refund"),
            "data": st.fixed_dictionaries({"order_id": orders, "amount": st.sampled_from(["1.00", "5.00"])}),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("complaint_filed"),
            "data": st.fixed_dictionaries(
                {"complaint_id": complaints, "severity": st.sampled_from(["low", "critical"]), "channel": channels}
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["complaint_responded", "complaint_resolved", "complaint_reopened"]),
            "data": st.fixed_dictionaries({"complaint_id": complaints}),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("survey_answered"),
            "data": st.one_of(
                st.fixed_dictionaries({"survey_id": st.just("S"), "kind": st.just("nps"), "score": st.integers(0, 10)}),
                st.fixed_dictionaries(
                    {
                        "survey_id": st.just("S"),
                        "kind": st.just("csat"),
                        "score": st.integers(1, 5),
                        "expectation": st.integers(1, 10),
                    }
                ),
            ),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("customer_updated"), "data": st.fixed_dictionaries({"segment": st.sampled_from(["retail", "business"])})}
    ),
)
history = st.lists(st.tuples(event, customers, days), min_size=8, max_size=40)
# (index of the target among stored events, void or correct)
amendments = st.lists(st.tuples(st.integers(0, 39), st.booleans()), max_size=4)
batch_sizes = st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=8)


def _amend(ledger: Ledger, stored: list[tuple[str, dict]], index: int, void: bool) -> None:
    event_id, spec = stored[index % len(stored)]
    try:
        if void:
            ledger.void(event_id, "property test")
        elif spec["type"] == "purchase":
            ledger.correct(event_id, {"amount": "3.00"})
        elif spec["type"] == "survey_answered":
            ledger.correct(event_id, {"score": 2})
        elif spec["type"] == "contact":
            ledger.correct(event_id, {"channel": "wechat"})
    except LedgerError:
        pass  # a void or correction the rules refuse is simply not part of this history


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=history, changes=amendments, sizes=batch_sizes)
def test_rebuilt_equals_incremental_for_any_history_and_batches(tmp_path, events, changes, sizes):
    with Ledger(f"sqlite:///{tmp_path / uuid.uuid4().hex}.db", config=LedgerConfig()) as ledger:
        stored = []
        for n, (spec, customer, day) in enumerate(events):
            try:
                ledger.append(spec["type"], customer, spec["data"], occurred_at=day, event_id=f"e{n}")
                stored.append((f"e{n}", spec))
            except LedgerError:
                pass  # e.g. a refund beyond what was paid: rejected, not stored
        for index, void in changes:
            if stored:
                _amend(ledger, stored, index, void)
        if not ledger.store.max_position():
            return
        hypothesis.event(f"{ledger.store.max_position() // 10 * 10}+ events stored")
        ledger.rebuild(progress=False)
        with ledger.store.engine.connect() as connection:
            meta = ProjectionState(ledger.store).read(connection)
        rebuilt = rows_of(ledger, lambda name: meta[name].generation)
        build_incrementally(ledger, 99, sizes)
        assert rows_of(ledger, lambda name: 99) == rebuilt
        with mock.patch.object(rebuild_module, "TWO_PROCESSES_FROM", 1):  # streams A and C in the upper half, B below
            ledger.rebuild(progress=False)
        with ledger.store.engine.connect() as connection:
            meta = ProjectionState(ledger.store).read(connection)
        assert rows_of(ledger, lambda name: meta[name].generation) == rebuilt
