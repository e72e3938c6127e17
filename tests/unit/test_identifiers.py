"""Identifiers without a database: normal forms, values that name nobody, KIND:VALUE text and the blind index."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.identifiers import (
    BUILT_IN_KINDS,
    InvalidIdentifierError,
    check_linkable,
    means_nobody,
    normalise,
    placeholders,
    split_identifier,
)
from ledger.identity.index import PUBLIC_INDEX_KEY, blind, created_customer


@pytest.mark.parametrize(
    ("kind", "value", "normal"),
    [
        ("email", "  Ann.Lee@Example.COM ", "ann.lee@example.com"),
        ("email", "ann+shop@example.com", "ann+shop@example.com"),  # no provider's own rules
        ("phone", "+44 1632 960961", "+441632960961"),
        ("phone", "01632 960961", "+441632960961"),  # read in the default region
        ("phone", "+1 (415) 555-2671", "+14155552671"),
        ("loyalty_card", "  LC-0042 ", "LC-0042"),
        ("shopify", " 123 ", "123"),
    ],
)
def test_normal_forms(kind, value, normal):
    assert normalise(kind, value, default_region="GB") == normal


def test_a_phone_without_country_code_needs_a_default_region():
    with pytest.raises(InvalidIdentifierError, match="no default region"):
        normalise("phone", "01632 960961")
    with pytest.raises(InvalidIdentifierError, match="not a phone number"):
        normalise("phone", "call me", default_region="GB")


def test_an_email_must_look_like_one():
    with pytest.raises(InvalidIdentifierError, match="not an e-mail address: 'ann'"):
        normalise("email", "ann")


@given(st.sampled_from(["email", "phone", "loyalty_card", "shopify"]), st.text(min_size=1, max_size=40))
def test_normalising_twice_changes_nothing(kind, value):
    try:
        once = normalise(kind, value, default_region="DE")
    except InvalidIdentifierError:
        return
    assert normalise(kind, once, default_region="DE") == once


@given(st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,12}\.[a-z]{2,6}", fullmatch=True), st.booleans())
def test_emails_normalise_whatever_their_case_and_spaces(address, shout):
    given_as = f"  {address.upper() if shout else address}\t"
    assert normalise("email", given_as) == address


@pytest.mark.parametrize(
    "value", ["", "  ", "null", "NULL", "anonymous", "Unknown", "0000000", "---", "000-000", "anonymous@example.com", "n/a"]
)
def test_values_that_name_nobody(value):
    assert means_nobody(value)


@pytest.mark.parametrize("value", ["ann@example.com", "+441632960961", "LC-0042", "00012345"])
def test_values_that_name_someone(value):
    assert not means_nobody(value)


def test_a_configured_placeholder_names_nobody():
    assert means_nobody("noreply@shop.test", placeholders(["NoReply@shop.test "]))
    with pytest.raises(InvalidIdentifierError, match=r"'NOREPLY@shop\.test' names nobody and is never linked"):
        check_linkable(
            "email", "NOREPLY@shop.test", kinds=BUILT_IN_KINDS, default_region=None, nobody=placeholders(["noreply@shop.test"])
        )


def test_only_configured_kinds_are_linked():
    with pytest.raises(InvalidIdentifierError, match="unknown identifier kind 'shopify'"):
        check_linkable("shopify", "123", kinds=BUILT_IN_KINDS, default_region=None)
    assert check_linkable("shopify", " 123", kinds=(*BUILT_IN_KINDS, "shopify"), default_region=None) == "123"


def test_kind_value_text():
    assert split_identifier("email:ann@example.com", BUILT_IN_KINDS) == ("email", "ann@example.com")
    assert split_identifier("shopify:12:34", ("shopify",)) == ("shopify", "12:34")
    assert split_identifier("C-1", BUILT_IN_KINDS) is None
    assert split_identifier("crm:77", BUILT_IN_KINDS) is None  # not a kind: a customer key with a colon


def test_the_blind_index_is_keyed_and_separates_kinds():
    key = bytes(32)
    assert blind(key, "email", "ann@example.com") == blind(key, "email", "ann@example.com")
    assert blind(key, "email", "ann@example.com") != blind(bytes([1]) * 32, "email", "ann@example.com")
    assert blind(key, "loyalty_card", "42") != blind(key, "national_id", "42")
    assert len(blind(PUBLIC_INDEX_KEY, "email", "ann@example.com")) == 64


def test_a_created_customer_key_is_deterministic_and_says_nothing_of_the_value():
    index = blind(bytes(32), "email", "ann@example.com")
    assert created_customer("email", index) == created_customer("email", index) == f"email-{index[:24]}"
    assert "ann" not in created_customer("email", index)
