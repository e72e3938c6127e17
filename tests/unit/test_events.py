"""The event catalogue: what each type accepts and rejects (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from commands.events import (
    EVENT_TYPES,
    ContactLogged,
    CustomerRegistered,
    CustomerUpdated,
    PurchaseRecorded,
    RefundIssued,
    SurveyAnswered,
)


def errors_of(cls, data) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        cls.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


def test_catalogue_has_every_wire_name():
    assert set(EVENT_TYPES) >= {
        "customer_registered",
        "customer_updated",
        "contact",
        "purchase",
        "refund",
        "complaint_filed",
        "complaint_responded",
        "complaint_resolved",
        "complaint_reopened",
        "survey_answered",
    }


def test_models_are_frozen_and_refuse_unknown_fields():
    purchase = PurchaseRecorded.model_validate({"order_id": "O-1", "amount": "1", "currency": "EUR"})
    with pytest.raises(ValidationError):
        purchase.amount = Decimal(2)  # type: ignore[misc]
    assert errors_of(PurchaseRecorded, {"order_id": "O-1", "amount": "1", "currency": "EUR", "colour": "red"}) == [
        ("colour", "Extra inputs are not permitted")
    ]


def test_purchase_amount_is_quantised_to_the_currency_minor_units():
    assert PurchaseRecorded.model_validate({"order_id": "O", "amount": "19.9", "currency": "EUR"}).amount == Decimal("19.90")
    assert str(PurchaseRecorded.model_validate({"order_id": "O", "amount": 19.9, "currency": "EUR"}).amount) == "19.90"
    assert str(PurchaseRecorded.model_validate({"order_id": "O", "amount": "1500", "currency": "JPY"}).amount) == "1500"
    assert str(PurchaseRecorded.model_validate({"order_id": "O", "amount": "1.234", "currency": "KWD"}).amount) == "1.234"


def test_zero_purchase_is_allowed_negative_is_not():
    assert PurchaseRecorded.model_validate({"order_id": "O", "amount": "0", "currency": "EUR"}).amount == 0
    assert errors_of(PurchaseRecorded, {"order_id": "O", "amount": "-0.01", "currency": "EUR"})[0][0] == "amount"


@pytest.mark.parametrize(
    ("amount", "currency", "field", "reason"),
    [
        ("1.999", "EUR", "amount", "more than 2 decimal places"),
        ("1.5", "JPY", "amount", "more than 0 decimal places"),
        ("1", "EUX", "currency", "unknown currency code: EUX"),
        ("1", "eur", "currency", "String should match pattern"),
        ("abc", "EUR", "amount", "valid decimal"),
        ("NaN", "EUR", "amount", ""),
    ],
)
def test_purchase_rejects_bad_money(amount, currency, field, reason):
    problems = errors_of(PurchaseRecorded, {"order_id": "O", "amount": amount, "currency": currency})
    assert problems[0][0] == field
    assert reason in problems[0][1]


def test_refund_must_be_positive():
    assert errors_of(RefundIssued, {"order_id": "O", "amount": "0"})[0][0] == "amount"


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [("nps", [0, 10], [-1, 11]), ("csat", [1, 5], [0, 6]), ("ces", [1, 7], [0, 8])],
)
def test_survey_score_ranges(kind, good, bad):
    for score in good:
        assert SurveyAnswered.model_validate({"survey_id": "S", "kind": kind, "score": score}).score == score
    for score in bad:
        problems = errors_of(SurveyAnswered, {"survey_id": "S", "kind": kind, "score": score})
        assert problems[0][0] == "score"
        assert "outside" in problems[0][1]


def test_survey_acsi_scores_are_1_to_10():
    assert errors_of(SurveyAnswered, {"survey_id": "S", "kind": "nps", "score": 5, "expectation": 11})[0][0] == "expectation"


def test_contact_channel_is_from_the_list():
    assert ContactLogged.model_validate({"channel": "wechat"}).direction == "inbound"
    assert errors_of(ContactLogged, {"channel": "pigeon"})[0][0] == "channel"


def test_customer_update_must_change_something():
    assert CustomerUpdated.model_validate({"segment": "vip"}).segment == "vip"
    assert "at least one field" in errors_of(CustomerUpdated, {})[0][1]


def test_personal_fields_are_marked_for_later_encryption():
    assert CustomerRegistered.personal_fields == {"name", "email", "phone", "national_id"}
    assert ContactLogged.personal_fields == {"note"}
    assert "amount" not in PurchaseRecorded.personal_fields
    assert SurveyAnswered.personal_fields == {"comment"}


def test_bad_email_is_rejected():
    assert errors_of(CustomerRegistered, {"email": "not-an-email"})[0][0] == "email"
