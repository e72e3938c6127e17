"""A JSON line validated in one pass from its bytes reads exactly as validated step by step (no database)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.errors import InvalidEventError
from commands.inputs import _parse_at_once, _parse_in_steps, json_object, parse_event
from ledger.config import LedgerSettings
from ledger.sample_data import generate_events

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = LedgerSettings(currency="CNY")


def content_id(raw: dict[str, Any]) -> str:
    return "from-content-" + str(sorted(raw))


def outcome_of_bytes(line: bytes) -> Any:
    try:
        return parse_event(line, SETTINGS, NOW, require_time=True, default_event_id=content_id)
    except InvalidEventError as error:
        return error.problems


def outcome_in_steps(line: bytes) -> Any:
    """What the step-by-step way alone makes of a line: the reading before the one-pass validation existed."""
    try:
        return _parse_in_steps(json_object(line), SETTINGS, NOW, True, content_id)
    except InvalidEventError as error:
        return error.problems


def test_every_generated_line_is_validated_in_one_pass_and_reads_the_same():
    lines = [orjson.dumps(raw) for raw in generate_events(40, 3, date(2024, 1, 1), date(2025, 5, 1))]
    assert len(lines) > 200
    for line in lines:
        assert _parse_at_once(line, SETTINGS, NOW, True, content_id) is not None, line
        assert outcome_of_bytes(line) == outcome_in_steps(line)


EDGES = [
    b'{"type":"purchase","customer":"C-1","occurred_at":"2024-01-01","data":{"order_id":"O","amount":"5"}}',
    b'{"type":"purchase","customer":"C-1","occurred_at":"2024-01-01","data":{"order_id":"O","amount":"5","currency":""}}',
    b'{"type":"purchase","customer":"C-1","occurred_at":"2024-01-01","data":{"order_id":"O","amount":1e17,"currency":"EUR"}}',
    b'{"type":"purchase","customer":"C-1","occurred_at":"2024-01-01","data":{"order_id":"O","amount":NaN,"currency":"EUR"}}',
    b'{"type":" purchase ","customer":" C-1 ","occurred_at":"2024-01-01","data":{"order_id":"O","amount":"5"}}',
    b'{"type":"purchase","customer":"C-1","occurred_at":"2024-01-01","data":{"order_id":"O\\u0000","amount":"5"}}',
    b'{"type":"purchase","customer":"C-1","occurred_at":"2024-01-01","data":{"order_id":"O","amount":"5","quantity":1e400}}',
    b'{"type":"purchase","customer":"C-1","occurred_at":"2024-01-01","data":{"order_id":"O","amount":"5","quantity":99999999999999999999}}',
    b'{"type":"contact","customer":"C-1","occurred_at":"2024-01-01","data":{"channel":"web"},"type":"purchase"}',
    b'{"type":"contact","customer":"C-1","data":{"channel":"web"}}',
    b'{"type":"contact","customer":"C-1","occurred_at":"20240101","data":{"channel":"web"}}',
    b'{"type":"contact","customer":"C-1","occurred_at":1700000000,"data":{"channel":"web"}}',
    b'{"type":"contact","customer":"C-1","occurred_at":"2024-01-01"}',
    b'{"type":"visit","customer":"C-1","occurred_at":"2024-01-01"}',
    b'{"type":"customer_registered","customer":"C-1","occurred_at":"2024-01-01","event_id":"E-1"}',
    b'{"type":"event_corrected","customer":"C-1","occurred_at":"2024-01-01","data":{"target_event_id":"E","changes":{"a":NaN}}}',
    b'{"type":"event_corrected","customer":"C-1","occurred_at":"2024-01-01","data":{"target_event_id":"E","changes":{"a":1e400}}}',
    b'{"type":"event_corrected","customer":"C-1","occurred_at":"2024-01-01","data":{"target_event_id":"E",'
    b'"changes":{"a":123456789012345678901234567890}}}',
    b'{"type":"event_corrected","customer":"C-1","occurred_at":"2024-01-01","data":{"target_event_id":"E","changes":'
    + b'{"a":' * 20
    + b"1"
    + b"}" * 20
    + b"}}",
    b'{"type":"customer_erased","customer":"C-1","occurred_at":"2024-01-01","data":{"reason":"r","fields":[],'
    b'"erased_through":123456789012345678901234567890,"key_destroyed":true,"clear_events":[]}}',
    b'{"type":"contact","customer":"C-1","occurred_at":"2024-01-01","data":{"channel":"web","note":"caf\xe9"}}',
    b'{"type":"contact","customer":"C-1","occurred_at":"2024-01-01","data":{"channel":"web","note":"\\ud800"}}',
    b'{"type":"contact","customer":"C-1","occurred_at":"2024-01-01","data":{"channel":"web"}} trailing',
    b'["type","contact"]',
    b"not json",
]


@pytest.mark.parametrize("line", EDGES)
def test_edges_of_the_json_readers_read_as_step_by_step(line):
    assert outcome_of_bytes(line) == outcome_in_steps(line)


numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.text(max_size=6),
    st.booleans(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["purchase", "refund", "survey_answered", "contact"]),
    amount=numbers,
    quantity=numbers,
    currency=st.sampled_from([None, "", "EUR", "JPY", "eur", "XXX"]),
    occurred_at=st.sampled_from([None, "2024-02-29", "2024-02-30", "2024-05-01T08:00:00+02:00", "2030-01-01", 5]),
    event_id=st.sampled_from([None, "", "E-1", "  E-2  "]),
)
def test_any_line_reads_the_same_either_way(kind, amount, quantity, currency, occurred_at, event_id):
    data: dict[str, Any] = {
        "purchase": {"order_id": "O", "amount": amount, "quantity": quantity},
        "refund": {"order_id": "O", "amount": amount},
        "survey_answered": {"survey_id": "S", "kind": "nps", "score": quantity},
        "contact": {"channel": "web", "duration_s": quantity},
    }[kind]
    if currency is not None and kind in ("purchase", "refund"):
        data["currency"] = currency
    raw: dict[str, Any] = {"type": kind, "customer": "C-1", "data": data}
    if occurred_at is not None:
        raw["occurred_at"] = occurred_at
    if event_id is not None:
        raw["event_id"] = event_id
    line = json.dumps(raw).encode()  # the standard library's: it writes integers of any size
    assert outcome_of_bytes(line) == outcome_in_steps(line)
