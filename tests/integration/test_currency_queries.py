"""Money in several currencies through the ledger, SQLite and PostgreSQL: rates as data, converted by purchase day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from projections.rates import MissingRateError

ECB = """Date,USD,GBP,
2024-05-03,1.2500,0.8000,
2024-05-02,1.0000,N/A,
"""


def _buy(ledger, customer: str, order: str, amount: str, currency: str, day: str) -> None:
    ledger.append("purchase", customer, {"order_id": order, "amount": amount, "currency": currency}, occurred_at=day)


@pytest.fixture
def shop(ledger, tmp_path):
    _buy(ledger, "C-1", "o1", "100.00", "EUR", "2024-05-02")
    _buy(ledger, "C-1", "o2", "125.00", "USD", "2024-05-03")
    _buy(ledger, "C-2", "o3", "40.00", "GBP", "2024-05-04")  # a Saturday: Friday's rate
    rates = tmp_path / "eurofxref-hist.csv"
    rates.write_text(ECB)
    return ledger, rates


def test_a_missing_rate_fails_naming_the_currency_and_day(shop):
    ledger, rates = shop
    with pytest.raises(MissingRateError, match=r"^no exchange rate for USD on or before 2024-05-03"):
        ledger.profile("C-1", as_of="2024-06-30")
    imported = ledger.import_rates(rates)
    assert (imported.rates, imported.currencies, imported.first_day, imported.last_day) == (
        3,
        ["GBP", "USD"],
        "2024-05-02",
        "2024-05-03",
    )


def test_every_base_figure_converts_with_the_rate_of_the_purchase_day(shop):
    ledger, rates = shop
    ledger.import_rates(rates)
    found = ledger.profile("C-1", as_of="2024-06-30")
    # 100 EUR + 125 USD / 1.25 = 200.00 EUR; the per-currency totals stay as they were paid.
    assert (found.currency, found.total_spend, found.spend) == ("EUR", "200.00", {"EUR": "100.00", "USD": "125.00"})
    in_usd = ledger.profile("C-1", as_of="2024-06-30", currency="USD")
    # 100 EUR x 1.00 (its day's USD rate) + 125 USD = 225.00 USD
    assert in_usd.total_spend == "225.00"
    listed = {row.customer: row.spend_365 for row in ledger.customers(as_of="2024-06-30")}
    assert listed == {"C-1": "200.00", "C-2": "50.00"}  # 40 GBP / 0.80
    exported = {row.customer: row.monetary_value for row in ledger.export_rfm(as_of="2024-06-30", currency="USD")}
    # C-1's repeat purchase day: 125.00 USD as paid.
    assert exported == {"C-1": "125.0000", "C-2": "0.0000"}
    # In GBP, C-1's EUR day (2024-05-02) needs a GBP rate, and that day has none.
    with pytest.raises(MissingRateError, match=r"^no exchange rate for GBP on or before 2024-05-02"):
        list(ledger.export_rfm(as_of="2024-06-30", currency="GBP"))
    # Only C-1 (200.00) is in the top 20% of two customers.
    assert {row.customer for row in ledger.customers(as_of="2024-06-30", vip=True)} == {"C-1"}


def test_a_query_known_at_a_time_uses_the_rates_imported_by_then(shop):
    ledger, rates = shop
    ledger.import_rates(rates)
    first = datetime.now(UTC)
    corrected = rates.with_name("corrected.csv")
    corrected.write_text("date,currency,rate\n2024-05-03,USD,1.0000\n")
    ledger.import_rates(corrected)
    assert ledger.profile("C-1", as_of="2024-06-30").total_spend == "225.00"  # the latest version
    assert ledger.profile("C-1", known_at=first).total_spend == "200.00"  # as the ledger knew it then
