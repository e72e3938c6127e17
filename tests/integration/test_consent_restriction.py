"""Consent per purpose and restriction of processing, as events: state as of a date, the customer filter, the rules."""

from __future__ import annotations

import base64

import pytest

from commands.errors import CustomerNotFoundError, InvalidArgumentError, RuleViolationError
from ledger import Ledger
from ledger.config import LedgerConfig, PrivacySettings
from ledger.privacy.cipher import new_key
from ledger.privacy.master_key import KEY_ENV


@pytest.fixture
def secured(db_url, monkeypatch):
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    with Ledger(db_url, config=LedgerConfig()) as opened:
        yield opened


def buyers(ledger: Ledger, *customers: str) -> None:
    for n, customer in enumerate(customers):
        ledger.append("customer_registered", customer, {"email": f"{customer}@example.com"}, occurred_at="2024-01-01")
        ledger.append("purchase", customer, {"order_id": f"O-{n}", "amount": "10.00"}, occurred_at="2024-01-05")


def test_consent_is_the_last_grant_or_withdrawal_as_of_a_date(secured: Ledger):
    buyers(secured, "C-1", "C-2", "C-3")
    granted = secured.grant_consent("C-1", "marketing_email", source="signup_form", text_version="v3", occurred_at="2024-02-01")
    secured.withdraw_consent("C-1", "marketing_email", source="unsubscribe_link", occurred_at="2024-04-01")
    secured.grant_consent("C-2", "marketing_email", source="call_centre", text_version="v2", occurred_at="2024-03-01")
    secured.grant_consent("C-3", "marketing_sms", source="app", text_version="v1", occurred_at="2024-02-01")
    march = secured.consent("C-1", as_of="2024-03-15")
    by_purpose = {entry.purpose: entry for entry in march.purposes}
    assert list(by_purpose) == ["marketing_email", "marketing_sms", "profiling", "third_party_sharing"]
    email = by_purpose["marketing_email"]
    assert (email.state, email.event_id, email.position) == ("granted", granted.event_id, granted.position)
    assert (email.source, email.text_version) == ("signup_form", "v3")
    assert by_purpose["profiling"].state == "none" and by_purpose["profiling"].event_id is None
    assert secured.consent("C-1").purposes[0].state == "withdrawn"
    assert secured.consent("C-1", as_of="2024-01-31").purposes[0].state == "none"
    may = {as_of: [r.customer for r in secured.customers(consent="marketing_email", as_of=as_of)] for as_of in
           ("2024-01-31", "2024-03-15", "2024-05-01")}  # fmt: skip
    assert may == {"2024-01-31": [], "2024-03-15": ["C-1", "C-2"], "2024-05-01": ["C-2"]}
    assert [r.customer for r in secured.customers(consent="marketing_sms")] == ["C-3"]
    with pytest.raises(InvalidArgumentError, match="unknown purpose 'newsletter'"):
        secured.customers(consent="newsletter")
    with pytest.raises(CustomerNotFoundError):
        secured.consent("C-404")


def test_purposes_are_configured_and_unknown_ones_refused(db_url):
    config = LedgerConfig(privacy=PrivacySettings(consent_purposes=("newsletter",)))
    with Ledger(db_url, config=config) as ledger:
        ledger.grant_consent("C-1", "newsletter", source="web", text_version="1")
        with pytest.raises(RuleViolationError, match="unknown purpose 'profiling'"):
            ledger.grant_consent("C-1", "profiling", source="web", text_version="1")
        assert [e.purpose for e in ledger.consent("C-1").purposes] == ["newsletter"]
        assert ledger.store.max_position() == 1


def test_after_erasure_withdrawal_is_accepted_and_a_grant_refused(secured: Ledger):
    buyers(secured, "C-1")
    secured.grant_consent("C-1", "profiling", source="web", text_version="v1")
    secured.erase("C-1", "request 9")
    secured.withdraw_consent("C-1", "profiling")
    with pytest.raises(RuleViolationError, match="erased: a new consent is refused"):
        secured.grant_consent("C-1", "profiling", source="web", text_version="v2")
    state = secured.consent("C-1")
    assert state.erased and state.purposes[2].state == "withdrawn"


def test_consent_and_restriction_events_are_final(secured: Ledger):
    buyers(secured, "C-1")
    granted = secured.grant_consent("C-1", "profiling", source="web", text_version="v1")
    with pytest.raises(RuleViolationError, match="consent_granted is final"):
        secured.void(granted.event_id, "mistake")
    restricted = secured.restrict("C-1", "art 18")
    with pytest.raises(RuleViolationError, match="processing_restricted is final"):
        secured.correct(restricted.event_id, {"reason": "other"})


def test_a_restricted_customer_is_kept_but_left_out_of_segments_and_exports(secured: Ledger):
    buyers(secured, "C-1", "C-2")
    secured.rebuild(progress=False)
    receipt = secured.restrict("C-1", "accuracy contested", actor="dpo")
    assert receipt.restricted and secured.restricted_customers() == ["C-1"]
    # New events are still accepted and recorded, and the customer's own reads still work.
    secured.append("purchase", "C-1", {"order_id": "O-9", "amount": "5.00"}, occurred_at="2024-01-06")
    assert secured.profile("C-1").purchases == 2
    listed = secured.customers()
    assert ([r.customer for r in listed], listed.restricted) == (["C-2"], 1)
    assert [r.customer for r in secured.export_rfm(as_of="2024-12-31")] == ["C-2"]
    assert secured.consent("C-1").restricted
    lifted = secured.unrestrict("C-1", "confirmed")
    assert not lifted.restricted and secured.restricted_customers() == []
    listed = secured.customers()
    assert ([r.customer for r in listed], listed.restricted) == (["C-1", "C-2"], 0)
    assert secured.verify().events == secured.store.max_position()
