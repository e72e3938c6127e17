"""What voids and corrections mean, checked once for the write rules, the timeline and the projections (no database)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.corrections import corrected_data, stream_corrections
from commands.errors import RuleViolationError
from commands.events import EVENT_TYPES, EventCorrected, EventData, EventVoided
from commands.records import NewEvent, RecordedEvent, stream_id_for
from commands.rules import check_event
from commands.stream_state import StreamState, Target
from commands.timeutil import format_utc
from ledger.timeline import corrections_by_target, timeline_view
from projections.facts import Fact, decode, effective

CUSTOMER = "C-1"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
RECORDED = datetime(2024, 6, 1, tzinfo=UTC)  # everything is recorded after it occurred, one second apart


class Stream:
    """One customer's stream written through the write rules, as the ledger stores and reads it back."""

    def __init__(self) -> None:
        self.state = StreamState(stream_id_for(CUSTOMER), CUSTOMER)
        self.events: list[RecordedEvent] = []
        self.facts: list[Fact] = []

    def append(self, data: EventData, occurred_at: datetime = T0) -> bool:
        """Check the rules, apply and store the event as the write path does; return whether it was accepted."""
        try:
            data = check_event(self.state, data)
        except RuleViolationError:
            return False
        self.state.apply(data)
        position = len(self.events) + 1
        event_id = f"E-{position}"
        recorded_at = RECORDED + timedelta(seconds=position)
        event = NewEvent(event_id, CUSTOMER, occurred_at, None, None, None, data)
        prev_hash = self.state.last_hash
        stored, digest = event.sealed(
            position=position,
            stream=self.state.stream_text,
            version=position,
            recorded_at=format_utc(recorded_at),
            prev_hash=prev_hash,
        )
        self.state.version, self.state.last_hash = position, digest
        dumped = data.model_dump(mode="json", exclude_none=True)
        self.state.targets[event_id] = Target(event_id, position, CUSTOMER, data.wire_name, dumped)
        self.events.append(
            RecordedEvent(
                position,
                self.state.stream_id,
                position,
                event_id,
                CUSTOMER,
                occurred_at,
                recorded_at,
                None,
                None,
                None,
                data,
                prev_hash,
                digest,
            )
        )
        self.facts.append(decode(position, stored)[1])
        return True


def written_view(stream: Stream) -> list[tuple[str, dict[str, Any]]]:
    """Return the events the write side still counts, with the data its rules check against."""
    return [(t.event_id, t.data) for t in stream.state.targets.values() if not t.voided and not t.is_correction]


def timeline_counted(events: list[RecordedEvent], *, as_of: datetime | None, known_at: datetime | None) -> list[tuple[str, dict]]:
    """Return what a reader of the timeline counts: the originals shown, without the voided, with their notes' changes."""
    shown = timeline_view(events, as_of=as_of, known_at=known_at)
    notes = corrections_by_target(shown)
    counted = []
    for event in shown:
        mine = notes.get(event.event_id, [])
        if isinstance(event.data, EventVoided | EventCorrected) or any(note.changes is None for note in mine):
            continue
        data = event.data.model_dump(mode="json", exclude_none=True)
        for note in mine:
            data = corrected_data(data, note.changes or {})
        counted.append((event.event_id, data))
    return counted


def projected(facts: list[Fact], *, as_of: datetime | None = None, known_at: datetime | None = None) -> list[tuple[str, dict]]:
    return [(fact.event_id, fact.data) for fact in effective(facts, as_of=as_of, known_at=known_at)]


def of(wire_name: str, /, **data: Any) -> EventData:
    return EVENT_TYPES[wire_name].model_validate(data)


# --- the semantics ----------------------------------------------------------


def test_a_change_replaces_a_field_and_a_change_to_none_removes_it():
    assert corrected_data({"score": 3, "channel": "web"}, {"score": 9, "channel": None}) == {"score": 9}
    assert corrected_data({"score": 3}, {}) == {"score": 3}


def test_streams_without_voids_or_corrections_have_nothing_to_apply():
    stream = Stream()
    stream.append(of("contact", channel="web"))
    assert stream_corrections(stream.facts) is None


def test_later_corrections_win_and_voided_events_are_collected():
    stream = Stream()
    stream.append(of("survey_answered", survey_id="s", kind="nps", score=3, channel="web"))
    stream.append(of("contact", channel="web"))
    stream.append(of("event_corrected", target_event_id="E-1", changes={"score": 9}))
    stream.append(of("event_corrected", target_event_id="E-1", changes={"score": 10, "channel": None}))
    stream.append(of("event_voided", target_event_id="E-2", reason="test"))
    found = stream_corrections(stream.facts)
    assert found is not None
    assert (found.voided, found.changes) == ({"E-2"}, {"E-1": {"score": 10, "channel": None}})
    expected = [("E-1", {"survey_id": "s", "kind": "nps", "score": 10})]
    assert (
        written_view(stream) == projected(stream.facts) == timeline_counted(stream.events, as_of=None, known_at=None) == expected
    )


# --- the write rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "changes", "message"),
    [
        (1, {"order_id": "O-2"}, "order_id cannot be corrected: void the event and record it again"),
        (1, {"currency": "USD"}, "currency cannot be corrected"),
        (2, {"complaint_id": "K-2"}, "complaint_id cannot be corrected"),
        (1, {"mood": "good"}, "purchase has no field mood"),
        (1, {"quantity": None}, "data.changes.quantity"),
        (3, {"reason": "other"}, "is a correction: corrections are final"),
    ],
)
def test_corrections_the_rules_refuse(target, changes, message):
    stream = Stream()
    stream.append(of("purchase", order_id="O-1", currency="EUR", amount="30"))
    stream.append(of("complaint_filed", complaint_id="K-1", severity="low"))
    stream.append(of("event_voided", target_event_id="E-9", reason="x"))  # refused: no such event
    stream.append(of("event_corrected", target_event_id="E-1", changes={"sku": "A-1"}))
    with pytest.raises(RuleViolationError, match=message):
        check_event(stream.state, of("event_corrected", target_event_id=f"E-{target}", changes=changes))


def test_a_state_changing_complaint_step_cannot_be_voided_a_response_can():
    stream = Stream()
    stream.append(of("complaint_filed", complaint_id="K-1", severity="low"))
    stream.append(of("complaint_responded", complaint_id="K-1"))
    with pytest.raises(RuleViolationError, match="a complaint_filed cannot be voided"):
        check_event(stream.state, of("event_voided", target_event_id="E-1", reason="x"))
    assert stream.append(of("event_voided", target_event_id="E-2", reason="sent by mistake"))
    with pytest.raises(RuleViolationError, match="event E-2 is voided"):
        check_event(stream.state, of("event_corrected", target_event_id="E-2", changes={"message": "hi"}))


def test_corrections_are_stored_as_the_target_type_holds_them():
    stream = Stream()
    stream.append(of("purchase", order_id="O-1", currency="EUR", amount="30", sku="A"))
    stream.append(of("event_corrected", target_event_id="E-1", changes={"amount": "12.5", "sku": None}))
    assert stream.events[-1].data.changes == {"amount": "12.50", "sku": None}  # type: ignore[attr-defined]
    assert stream.state.orders["O-1"].paid_minor == 1250
    assert (
        written_view(stream)
        == projected(stream.facts)
        == [("E-1", {"order_id": "O-1", "currency": "EUR", "amount": "12.50", "quantity": 1})]
    )


# --- the property: the write rules, the timeline and the projections agree ----

CHANGES: dict[str, list[tuple[str, list[Any]]]] = {
    "purchase": [("amount", ["0", "5", "12.5", "40"]), ("sku", ["A", None]), ("quantity", [2, None])],
    "refund": [("amount", ["1", "3.25", "50"]), ("reason", ["late", None])],
    "survey_answered": [("score", [0, 4, 9, 11]), ("channel", ["web", None]), ("comment", ["ok", None])],
    "contact": [("topic", ["billing", None]), ("channel", ["phone"])],
    "complaint_responded": [("message", ["sorry", None])],
}

steps = st.one_of(
    st.tuples(st.just("purchase"), st.sampled_from(["O-1", "O-2"]), st.sampled_from(["10", "25.50", "0"])),
    st.tuples(st.just("refund"), st.sampled_from(["O-1", "O-2"]), st.sampled_from(["5", "10", "30"])),
    st.tuples(st.just("survey_answered"), st.sampled_from(["nps", "csat"]), st.integers(1, 5)),
    st.tuples(st.just("contact"), st.sampled_from(["web", "email"]), st.none()),
    st.tuples(st.just("complaint"), st.sampled_from(["K-1", "K-2"]), st.sampled_from(["filed", "responded", "resolved"])),
    st.tuples(st.just("event_voided"), st.integers(0, 40), st.none()),
    st.tuples(st.just("event_corrected"), st.integers(0, 40), st.integers(0, 40)),
)


def _data(step: tuple[str, Any, Any], stream: Stream) -> EventData | None:
    kind, first, second = step
    if kind == "purchase":
        return of("purchase", order_id=first, currency="EUR", amount=second)
    if kind == "refund":
        return of("refund", order_id=first, amount=second)
    if kind == "survey_answered":
        return of("survey_answered", survey_id=f"S-{len(stream.events)}", kind=first, score=second, channel="web")
    if kind == "contact":
        return of("contact", channel=first, topic="orders")
    if kind == "complaint":
        return of(f"complaint_{second}", complaint_id=first, **({"severity": "high"} if second == "filed" else {}))
    if not stream.events:
        return None
    target = stream.events[first % len(stream.events)]
    if kind == "event_voided":
        return of("event_voided", target_event_id=target.event_id, reason="mistake")
    options = CHANGES.get(target.type)
    if not options:
        return of("event_corrected", target_event_id=target.event_id, changes={"note": "x"})  # refused: no such field
    field, values = options[second % len(options)]
    return of("event_corrected", target_event_id=target.event_id, changes={field: values[second % len(values)]})


@settings(max_examples=300, deadline=None)
@given(
    stream_steps=st.lists(st.tuples(steps, st.integers(0, 20)), max_size=30),
    as_of_day=st.one_of(st.none(), st.integers(0, 21)),
    known_cut=st.one_of(st.none(), st.integers(0, 31)),
)
def test_the_write_rules_the_timeline_and_the_projections_count_the_same(stream_steps, as_of_day, known_cut):
    stream = Stream()
    for step, day in stream_steps:
        data = _data(step, stream)
        if data is not None:
            stream.append(data, T0 + timedelta(days=day, hours=day))
    # With everything known and no as-of date, the projections count what the write rules hold.
    assert projected(stream.facts) == written_view(stream)
    # As of a day and as known at a time, the timeline's events and notes count what the projections count.
    as_of = None if as_of_day is None else T0 + timedelta(days=as_of_day, hours=12)
    known_at = None if known_cut is None else RECORDED + timedelta(seconds=known_cut, milliseconds=500)
    assert timeline_counted(stream.events, as_of=as_of, known_at=known_at) == projected(
        stream.facts, as_of=as_of, known_at=known_at
    )


def test_refunds_are_checked_against_what_voids_and_corrections_leave_paid():
    stream = Stream()
    stream.append(of("purchase", order_id="O-1", currency="EUR", amount="30"))
    stream.append(of("refund", order_id="O-1", amount="20"))
    with pytest.raises(RuleViolationError, match=re.escape("would have 20.00 EUR refunded against 10.00 EUR paid")):
        check_event(stream.state, of("event_corrected", target_event_id="E-1", changes={"amount": "10"}))
    with pytest.raises(RuleViolationError, match=re.escape("leave 20.00 EUR refunded on order O-1 against 0.00 EUR paid")):
        check_event(stream.state, of("event_voided", target_event_id="E-1", reason="x"))
    assert stream.append(of("event_voided", target_event_id="E-2", reason="x"))
    assert stream.state.orders["O-1"].unrefunded_minor == int(Decimal("30") * 100)
