"""Voids and corrections: new events that refer to the original; rules keep the write side consistent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from cli import main
from commands.errors import EventNotFoundError, RuleViolationError
from ledger.application import Ledger


def test_void_and_correct_are_new_events_referring_to_the_original(ledger: Ledger):
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "30"}, event_id="P-1")
    ledger.append("survey_answered", "C-1", {"survey_id": "S", "kind": "nps", "score": 1}, event_id="S-1")
    voided = ledger.void("P-1", "test order", actor="auditor")
    corrected = ledger.correct("S-1", {"score": "7"}, reason="typed 1 for 7", actor="agent")
    events = ledger.timeline("C-1", personal=True)
    assert [e.type for e in events] == ["purchase", "survey_answered", "event_voided", "event_corrected"]
    assert (events[2].event_id, events[2].actor, events[2].data.target_event_id, events[2].data.reason) == (
        voided.event_id,
        "auditor",
        "P-1",
        "test order",
    )
    assert events[3].data.changes == {"score": 7}  # stored validated, as the type holds it
    assert events[3].event_id == corrected.event_id
    assert events[1].data.score == 1  # the original is never changed


def test_voided_purchase_no_longer_counts_for_refunds(ledger: Ledger):
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "30"}, event_id="P-1")
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "20"}, event_id="P-2")
    ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "25"}, event_id="R-1")
    with pytest.raises(RuleViolationError, match=re.escape("leave 25.00 EUR refunded on order O-1 against 20.00 EUR paid")):
        ledger.void("P-1", "dup")
    ledger.void("P-2", "dup")
    with pytest.raises(RuleViolationError, match=re.escape("exceeds the 5.00 EUR still unrefunded")):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "6"})
    ledger.void("R-1", "wrong refund")
    ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "30"})


def test_corrected_amount_moves_the_order_totals(ledger: Ledger):
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "30"}, event_id="P-1")
    ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "10"}, event_id="R-1")
    with pytest.raises(RuleViolationError, match=re.escape("would have 10.00 EUR refunded against 5.00 EUR paid")):
        ledger.correct("P-1", {"amount": "5"})
    ledger.correct("P-1", {"amount": "12.5"})
    with pytest.raises(RuleViolationError, match=re.escape("exceeds the 2.50 EUR")):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "2.51"})
    ledger.correct("R-1", {"amount": "12.50"})
    with pytest.raises(RuleViolationError, match=re.escape("exceeds the 0.00 EUR")):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "0.01"})


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda ledger: ledger.correct("S-1", {"mood": "good"}), "survey_answered has no field mood"),
        (lambda ledger: ledger.correct("S-1", {"score": "11"}), "data.changes.score: 11 is outside 0..10 for nps"),
        (lambda ledger: ledger.correct("P-1", {"order_id": "O-2"}), "order_id cannot be corrected"),
        (lambda ledger: ledger.void("K-1", "x"), "a complaint_filed cannot be voided"),
        (lambda ledger: ledger.void("V-1", "x"), "is a correction: corrections are final"),
        (lambda ledger: ledger.correct("P-0", {"amount": "1"}), "event P-0 is voided"),
        (lambda ledger: ledger.void("P-0", "again"), "event P-0 is voided"),
    ],
)
def test_corrections_that_are_refused_store_nothing(ledger: Ledger, action, message):
    ledger.append("purchase", "C-1", {"order_id": "O-0", "amount": "3"}, event_id="P-0")
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "30"}, event_id="P-1")
    ledger.append("survey_answered", "C-1", {"survey_id": "S", "kind": "nps", "score": 1}, event_id="S-1")
    ledger.append("complaint_filed", "C-1", {"complaint_id": "K", "severity": "low"}, event_id="K-1")
    ledger.append("event_voided", "C-1", {"target_event_id": "P-0", "reason": "x"}, event_id="V-1")
    before = ledger.store.max_position()
    with pytest.raises(RuleViolationError, match=message):
        action(ledger)
    assert ledger.store.max_position() == before


def test_unknown_or_foreign_target(ledger: Ledger):
    with pytest.raises(EventNotFoundError):
        ledger.void("nope", "x")
    ledger.append("contact", "C-2", {"channel": "web"}, event_id="E-2")
    with pytest.raises(RuleViolationError, match=re.escape("belongs to another customer")):
        ledger.append("event_voided", "C-1", {"target_event_id": "E-2", "reason": "x"})
    with pytest.raises(RuleViolationError, match=re.escape("no event E-9")):
        ledger.append("event_voided", "C-1", {"target_event_id": "E-9", "reason": "x"})


def test_void_of_an_event_earlier_in_the_same_batch(ledger: Ledger):
    result = ledger.append_many(
        [
            {"type": "purchase", "customer": "C-1", "event_id": "P-1", "data": {"order_id": "O-1", "amount": "5"}},
            {"type": "event_voided", "customer": "C-1", "data": {"target_event_id": "P-1", "reason": "x"}},
            {"type": "event_voided", "customer": "C-1", "data": {"target_event_id": "P-1", "reason": "twice"}},
        ]
    )
    assert len(result.stored) == 2
    assert "is voided" in str(result.rejected[0].error)


def test_known_at_shows_what_the_ledger_held_then(ledger: Ledger):
    ledger.append("survey_answered", "C-1", {"survey_id": "S1", "kind": "nps", "score": 9}, occurred_at="2024-01-10")
    between = datetime.now(UTC)
    late = ledger.append("survey_answered", "C-1", {"survey_id": "S2", "kind": "nps", "score": 2}, occurred_at="2024-01-20")
    events = ledger.timeline("C-1")
    assert events[1].recorded_at > between  # recorded after, though it occurred in January
    assert [e.data.survey_id for e in ledger.timeline("C-1", as_of="2024-01-31")] == ["S1", "S2"]
    assert [e.data.survey_id for e in ledger.timeline("C-1", as_of="2024-01-31", known_at=between)] == ["S1"]
    assert [e.event_id for e in ledger.timeline("C-1", known_at=between + timedelta(hours=1))][-1] == late.event_id


def test_cli_void_correct_and_timeline(ledger: Ledger, db_url):
    ledger.append("survey_answered", "C-1", {"survey_id": "S", "kind": "csat", "score": 2}, event_id="S-1")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db_url, "correct", "S-1", "score=4", "--reason", "typo", "--actor", "agent-3"])
    assert result.exit_code == 0, result.output
    assert "corrects S-1" in result.output
    assert runner.invoke(main, ["--db", db_url, "void", "S-9", "--reason", "x"]).output == "Error: unknown event_id: 'S-9'\n"
    refused = runner.invoke(main, ["--db", db_url, "correct", "S-1", "kind=nps", "score=11"])
    assert refused.exit_code == 1
    assert "data.changes.score: 11 is outside 0..10 for nps" in refused.output
    lines = [
        json.loads(x)
        for x in runner.invoke(main, ["--db", db_url, "timeline", "C-1", "--json", "--show-personal"]).output.splitlines()
    ]
    assert [(x["type"], x["actor"]) for x in lines] == [("survey_answered", None), ("event_corrected", "agent-3")]
    assert lines[1]["data"] == {"target_event_id": "S-1", "changes": {"score": 4}, "reason": "typo"}
    text = runner.invoke(main, ["--db", db_url, "timeline", "C-1"]).output
    assert "agent-3" in text and "event_corrected" in text


def test_queries_count_corrections_and_timelines_show_them(ledger: Ledger, db_url):
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "30"}, event_id="P-1", occurred_at="2024-01-05")
    ledger.append(
        "survey_answered", "C-1", {"survey_id": "S", "kind": "nps", "score": 1}, event_id="S-1", occurred_at="2024-01-06"
    )
    ledger.void("P-1", "test order", actor="auditor")
    after_void = datetime.now(UTC)
    ledger.correct("S-1", {"score": 6}, actor="agent")
    ledger.correct("S-1", {"score": 8}, actor="agent")
    now, then = ledger.profile("C-1"), ledger.profile("C-1", known_at=after_void)
    assert (now.purchases, now.last_nps) == (0, 8)  # the purchase never happened; the later correction wins
    assert (then.purchases, then.last_nps) == (0, 1)  # known after the void, before the corrections
    # as of January: the January events with their later corrections; known at: before the corrections
    assert len(ledger.timeline("C-1", as_of="2024-01-31")) == 5
    assert [e.type for e in ledger.timeline("C-1", known_at=after_void)] == ["purchase", "survey_answered", "event_voided"]
    text = CliRunner().invoke(main, ["--db", db_url, "timeline", "C-1", "--show-personal"]).output
    assert "[voided at 3 by auditor: test order]" in text
    assert "[corrected score=6 at 4 by agent] [corrected score=8 at 5 by agent]" in text


def test_void_filed_under_another_customer_is_refused_not_a_crash(ledger: Ledger):
    ledger.append("purchase", "C-2", {"order_id": "O-1", "amount": "5"}, event_id="P-2")
    result = ledger.append_many(
        [
            {"type": "event_voided", "customer": "C-1", "data": {"target_event_id": "P-2", "reason": "x"}},
            {"type": "contact", "customer": "C-1", "data": {"channel": "web"}},
        ]
    )
    assert len(result.stored) == 1
    assert "belongs to another customer" in str(result.rejected[0].error)
