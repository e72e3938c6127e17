"""Validation of the wire format: envelope, times, defaults (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commands.errors import InvalidEventError
from commands.inputs import parse_event
from ledger.config import LedgerSettings

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = LedgerSettings()


def problems(raw, settings=SETTINGS, **options) -> list[tuple[str, str]]:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw, settings, NOW, **options)
    return caught.value.problems


def purchase(**envelope):
    return {"type": "purchase", "customer": "C-1", "data": {"order_id": "O-1", "amount": "10"}, **envelope}


def test_plain_date_means_midnight_utc():
    event = parse_event(purchase(occurred_at="1997-01-01"), SETTINGS, NOW)
    assert event.occurred_at == datetime(1997, 1, 1, tzinfo=UTC)


def test_naive_datetime_is_read_in_the_configured_timezone():
    shanghai = LedgerSettings(timezone="Asia/Shanghai")
    event = parse_event(purchase(occurred_at="2024-03-01T08:00:00"), shanghai, NOW)
    assert event.occurred_at == datetime(2024, 3, 1, 0, 0, tzinfo=UTC)


def test_aware_datetime_is_converted_to_utc():
    event = parse_event(purchase(occurred_at="2024-03-01T08:00:00+02:00"), SETTINGS, NOW)
    assert event.occurred_at == datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
    assert event.occurred_at.tzinfo is UTC


def test_future_beyond_five_minutes_is_rejected():
    assert parse_event(purchase(occurred_at="2025-06-01T12:04:59Z"), SETTINGS, NOW).occurred_at.minute == 4
    assert problems(purchase(occurred_at="2025-06-01T12:05:01Z"))[0][0] == "occurred_at"


def test_malformed_timestamp():
    assert problems(purchase(occurred_at="yesterday")) == [("occurred_at", "not an ISO 8601 date or datetime: 'yesterday'")]


def test_missing_time_defaults_to_now_unless_required():
    assert parse_event(purchase(), SETTINGS, NOW).occurred_at == NOW
    assert problems(purchase(), require_time=True) == [("occurred_at", "missing")]


def test_default_currency_comes_from_the_configuration():
    assert parse_event(purchase(), LedgerSettings(currency="CNY"), NOW).data.currency == "CNY"


def test_unknown_type():
    ((field, reason),) = problems({"type": "visit", "customer": "C-1"})
    assert field == "type"
    assert "unknown event type 'visit'" in reason


def test_empty_customer_key():
    assert problems(purchase(customer="  "))[0][0] == "customer"


def test_unknown_envelope_field():
    assert problems(purchase(colour="red")) == [("colour", "unknown field")]


def test_data_errors_name_the_data_field():
    raw = {"type": "purchase", "customer": "C-1", "data": {"amount": "-5", "extra": 1}}
    fields = {field for field, _ in problems(raw)}
    assert fields == {"data.order_id", "data.amount", "data.extra"}


def test_event_id_is_kept_or_generated():
    assert parse_event(purchase(event_id="E-1"), SETTINGS, NOW).event_id == "E-1"
    assert parse_event(purchase(), SETTINGS, NOW, default_event_id="D").event_id == "D"
    first, second = (parse_event(purchase(), SETTINGS, NOW).event_id for _ in range(2))
    assert first != second
