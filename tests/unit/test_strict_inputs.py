"""Strict validation of the wire format: nothing crashes, nothing is silently misread (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commands.errors import InvalidEventError
from commands.inputs import parse_event
from ledger.config import LedgerSettings

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = LedgerSettings()


def purchase(data: dict | None = None, **envelope: object) -> dict:
    return {"type": "purchase", "customer": "C-1", "data": {"order_id": "O-1", "amount": "10", **(data or {})}, **envelope}


def problems(raw: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw, SETTINGS, NOW)  # type: ignore[arg-type]
    return caught.value.problems


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "10000-01-01", "1899-12-31T23:59:59Z"],
)
def test_times_at_the_calendars_edges_are_a_problem_of_occurred_at(moment):
    [(field, reason)] = problems(purchase(occurred_at=moment))
    assert field == "occurred_at"
    assert moment[:10] in reason


@pytest.mark.parametrize("moment", [1700000000, 1.5, True, "1" * 400, "20240501", "2024-05-01T08"])
def test_numbers_and_loose_texts_are_not_read_as_times(moment):
    [(field, reason)] = problems(purchase(occurred_at=moment))
    assert field == "occurred_at"
    assert len(reason) < 200


@pytest.mark.parametrize("quantity", [2**63, 2**70, True, 2.0, "1e3", "0x10"])
def test_whole_numbers_are_ints_or_their_text_within_64_bits(quantity):
    [(field, _)] = problems(purchase({"quantity": quantity}))
    assert field == "data.quantity"


def test_whole_numbers_from_csv_text_still_parse():
    assert parse_event(purchase({"quantity": " 3 "}), SETTINGS, NOW).data.quantity == 3


def test_a_survey_score_beyond_64_bits_is_a_problem_not_a_crash():
    raw = {"type": "survey_answered", "customer": "C-1", "data": {"survey_id": "S", "kind": "nps", "score": 2**64}}
    assert [field for field, _ in problems(raw)] == ["data.score"]


@pytest.mark.parametrize("amount", ["-0.00", "-0", -0.0])
def test_a_negative_zero_amount_is_refused(amount):
    [(field, reason)] = problems(purchase({"amount": amount}))
    assert field == "data.amount"
    assert "must not be negative" in reason


def test_bytes_are_refused_anywhere_with_the_field_named():
    assert problems(purchase(customer=b"C-1"))[0] == ("customer", "bytes are not accepted: pass text (str)")
    assert problems(purchase({"order_id": b"O-1"}))[0][0] == "data.order_id"


@pytest.mark.parametrize("where", ["customer", "event_id", "data.order_id", "data.sku"])
def test_a_nul_character_is_refused_in_any_text(where):
    raw = purchase()
    if where.startswith("data."):
        raw["data"][where.removeprefix("data.")] = "a\x00b"
    else:
        raw[where] = "a\x00b"
    assert problems(raw) == [(where, "contains a NUL character (\\u0000)")]


def test_nesting_beyond_the_limit_is_refused_before_validation():
    deep: dict = {}
    inner = deep
    for _ in range(1000):
        inner["a"] = {}
        inner = inner["a"]
    raw = {"type": "event_corrected", "customer": "C-1", "data": {"target_event_id": "E", "changes": deep}}
    [(field, reason)] = problems(raw)
    assert field.startswith("data.changes")
    assert "nested deeper than 16 levels" in reason


def test_an_event_that_is_not_a_mapping_is_a_problem():
    assert problems(["not", "an", "object"]) == [("event", "expected a JSON object, got list")]


def test_errors_quote_the_offending_value_cut_to_a_sane_length():
    [(field, reason)] = problems(purchase({"amount": "-5"}))
    assert field == "data.amount"
    assert "'-5'" in reason
    [(_, long_reason)] = problems(purchase(occurred_at="x" * 5000))
    assert "..." in long_reason
    assert len(long_reason) < 150
