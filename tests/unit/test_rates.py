"""Exchange rates: the file layouts, the latest rate on or before a day, conversion and its rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commands.rates_input import RatesFileError, parse_rates
from projections.rates import MissingRateError, RateTable, UnknownCurrencyError

# The ECB's layout as published: newest first, N/A for a day without a rate, a trailing comma.
ECB = """Date,USD,JPY,GBP,
2024-05-03,1.0760,164.97,0.85650,
2024-05-02,1.0712,N/A,0.85560,
"""


def test_the_ecb_layout_loads_as_is():
    assert parse_rates(ECB) == [
        ("2024-05-03", "USD", Decimal("1.0760")),
        ("2024-05-03", "JPY", Decimal("164.97")),
        ("2024-05-03", "GBP", Decimal("0.85650")),
        ("2024-05-02", "USD", Decimal("1.0712")),
        ("2024-05-02", "GBP", Decimal("0.85560")),
    ]


def test_long_csv_and_json_give_the_same_rates():
    expected = [("2024-05-02", "USD", Decimal("1.0712")), ("2024-05-03", "USD", Decimal("1.076"))]
    assert parse_rates("date,currency,rate\n2024-05-02,usd,1.0712\n2024-05-03,USD,1.076\n") == expected
    as_list = (
        '[{"date": "2024-05-02", "currency": "USD", "rate": "1.0712"}, {"date": "2024-05-03", "currency": "USD", "rate": 1.076}]'
    )
    assert parse_rates(as_list) == expected
    lines = (
        '{"date": "2024-05-02", "currency": "USD", "rate": "1.0712"}\n'
        '{"date": "2024-05-03", "currency": "USD", "rate": "1.076"}\n'
    )
    assert parse_rates(lines) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,currency,rate\n2024-05-02,XXX,1\n", "rates:2: unknown currency 'XXX'"),
        ("date,currency,rate\n2024-13-02,USD,1\n", "rates:2: expected an ISO date, got '2024-13-02'"),
        ("date,currency,rate\n2024-05-02,USD,0\n", "rates:2: a rate must be positive, got '0'"),
        ("date,currency,rate\n2024-05-02,USD,one\n", "rates:2: expected a decimal rate, got 'one'"),
        ("day,usd\n2024-05-02,1\n", "rates: expected a date, currency, rate header or the ECB layout"),
        ('[{"date": "2024-05-02"}]', "rates: item 1: expected an object with date, currency and rate"),
        ("", "rates: no rates"),
    ],
)
def test_a_bad_file_fails_with_where_and_why(text, message):
    with pytest.raises(RatesFileError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_rates(text)


def test_the_rate_of_a_day_is_the_latest_on_or_before_it():
    table = RateTable("EUR", parse_rates(ECB))
    assert table.rate("USD", "2024-05-02") == Decimal("1.0712")
    assert table.rate("USD", "2024-05-05") == Decimal("1.0760")  # a Sunday: Friday's rate
    with pytest.raises(MissingRateError, match=r"^no exchange rate for JPY on or before 2024-05-02"):
        table.rate("JPY", "2024-05-02")  # N/A that day and nothing before
    with pytest.raises(MissingRateError, match=r"^no exchange rate for CHF on or before 2024-05-03"):
        table.rate("CHF", "2024-05-03")
    assert table.rate("EUR", "1999-01-01") == 1  # the base needs no rate


def test_conversion_divides_by_the_source_rate_and_multiplies_by_the_target_rate():
    table = RateTable("EUR", parse_rates(ECB))
    to_eur, to_usd = table.converter("EUR"), table.converter("USD")
    assert to_eur.minor(1076, "USD", "2024-05-03") == 1000  # 10.76 USD / 1.0760 = 10.00 EUR
    assert to_eur.minor(16497, "JPY", "2024-05-03") == 10000  # 16497 JPY / 164.97 = 100.00 EUR (no minor units in JPY)
    assert to_usd.minor(85650, "GBP", "2024-05-03") == 107600  # 856.50 GBP = 1000 EUR = 1076.00 USD
    assert to_usd.minor(1000, "EUR", "2024-05-02") == 1071  # 10.712 USD, rounded half-even to 10.71
    assert to_eur.minor(1, "USD", "2024-05-03") == 1  # 0.929 cent rounds to 1
    assert to_eur.minor(0, "CHF", "2024-05-03") == 0  # nothing to convert needs no rate
    with pytest.raises(UnknownCurrencyError):
        table.converter("XYZ")
