"""Cohorts and the buyer, response and complaint-rate figures of trends, from the tables and from a replay."""

from __future__ import annotations

import pytest

from commands.errors import InvalidArgumentError, LedgerError

PURCHASES = {  # customer: purchase days (10.00 each, in EUR unless said)
    "A": ["2024-01-05", "2024-02-10", "2024-04-01"],
    "B": ["2024-01-20"],
    "C": ["2024-02-03", "2024-03-03"],
}


def _fill(ledger) -> None:
    for customer, days in PURCHASES.items():
        for i, day in enumerate(days):
            ledger.append("purchase", customer, {"order_id": f"{customer}{i}", "amount": "10.00"}, occurred_at=day)
    ledger.append("purchase", "D", {"order_id": "D0", "amount": "11.00", "currency": "USD"}, occurred_at="2024-02-05")
    ledger.append("refund", "A", {"order_id": "A0", "amount": "4.00"}, occurred_at="2024-03-20")
    ledger.append("complaint_filed", "B", {"complaint_id": "k", "severity": "low", "channel": "phone"}, occurred_at="2024-02-02")
    ledger.append("survey_sent", "A", {"survey_id": "S1", "kind": "nps"}, occurred_at="2024-02-11")
    ledger.append("survey_sent", "B", {"survey_id": "S2", "kind": "nps"}, occurred_at="2024-02-12")
    ledger.append("survey_answered", "A", {"survey_id": "S1", "kind": "nps", "score": 3}, occurred_at="2024-02-12")
    ledger.append("survey_answered", "A", {"survey_id": "S1", "kind": "nps", "score": 10}, occurred_at="2024-02-13")


def _rates(ledger, tmp_path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,rate\n2024-01-01,USD,1.1\n2024-01-01,GBP,0.5\n", encoding="utf-8")
    ledger.import_rates(path)


@pytest.mark.parametrize("built", [False, True])
def test_cohorts_match_the_hand_count(ledger, tmp_path, built):
    _fill(ledger)
    _rates(ledger, tmp_path)
    if built:
        ledger.rebuild(progress=False)
    found = ledger.cohorts(as_of="2024-04-30")
    # January: A, B (A back in February and April); February: C (back in March) and D (USD).
    assert [(r.cohort, r.size, r.values) for r in found.cohorts] == [
        ("2024-01", 2, [1.0, 0.5, 0.0, 0.5]),
        ("2024-02", 2, [1.0, 0.5, 0.0, None]),
    ]
    assert found.overall == [1.0, 0.5, 0.0, 0.5]
    assert (found.behind == 0) == built  # never built: the whole log is behind, and replayed
    unbounded = ledger.cohorts(as_of="2024-04-30", convention="unbounded")
    assert unbounded.cohorts[0].values == [1.0, 0.5, 0.5, 0.5]
    revenue = ledger.cohorts(as_of="2024-04-30", metric="revenue")
    # January's k = 0: A 10.00 - 4.00 refunded (on its order's day) + B 10.00; February's: C 10.00 + D 11 USD = 10.00 EUR.
    assert revenue.currency == "EUR"
    assert revenue.cohorts[0].values == ["16.00", "10.00", "0.00", "10.00"]
    assert revenue.cohorts[1].values == ["20.00", "10.00", "0.00", None]
    assert revenue.overall == ["9.00", "5.00", "0.00", "5.00"]
    usd = ledger.cohorts(as_of="2024-04-30", metric="revenue", currency="USD")
    assert usd.cohorts[1].values[0] == "22.00"


def test_cohorts_respect_as_of_and_known_at(ledger, tmp_path):
    _fill(ledger)
    with pytest.raises(LedgerError, match="no exchange rate for USD on or before 2024-02-05"):
        ledger.cohorts(metric="revenue")  # never a silent 0
    _rates(ledger, tmp_path)
    before_refund = ledger.cohorts(as_of="2024-03-19", metric="revenue")
    assert [r.cohort for r in before_refund.cohorts] == ["2024-01", "2024-02"]
    # The refund of 2024-03-20 is not made by the 19th: January's k = 0 is still 20.00.
    assert before_refund.cohorts[0].values[0] == "20.00"
    assert len(before_refund.cohorts[0].values) == 3  # January, February, March reached
    nothing_known = ledger.cohorts(known_at="2000-01-01")
    assert nothing_known.cohorts == [] and nothing_known.overall == []


def test_cohorts_refuse_unknown_options(ledger):
    with pytest.raises(InvalidArgumentError, match="metric: expected one of retention, revenue, got 'profit'"):
        ledger.cohorts(metric="profit")
    with pytest.raises(InvalidArgumentError, match="convention"):
        ledger.cohorts(convention="rolling")


@pytest.mark.parametrize("built", [False, True])
def test_trends_show_buyers_response_rate_and_complaints_per_order(ledger, tmp_path, built):
    _fill(ledger)
    _rates(ledger, tmp_path)
    if built:
        ledger.rebuild(progress=False)
    rows = {r.period: r for r in ledger.trends(by="month", as_of="2024-04-30" if not built else None).rows}
    feb = rows["2024-02"]
    assert (feb.orders, feb.buyers, feb.revenue, feb.currency) == (3, 3, "30.00", "EUR")
    assert feb.repeat_purchase_rate == pytest.approx(1 / 3)  # A came back; C and D are new
    assert feb.churn_rate == 0.5  # of January's A and B, B bought nothing in February
    assert feb.complaints_per_1000_orders == pytest.approx(1000 / 3)
    # Two surveys sent in February, one answered (twice: counted once, the latest, a promoter).
    assert (feb.surveys_sent, feb.response_rate) == (2, 0.5)
    assert (feb.nps, feb.nps_answers, feb.nps_small_sample, feb.nps_margin) == (100.0, 1, True, 0.0)
    assert rows["2024-01"].revenue == "16.00"  # the March refund lowers January, never March
    assert rows["2024-03"].revenue == "10.00"
    usd = {r.period: r for r in ledger.trends(by="month", currency="USD").rows}
    assert (usd["2024-02"].revenue, usd["2024-02"].currency) == ("33.00", "USD")
    by_segment = ledger.trends(by="month", split="segment")
    assert {(r.period, r.segment, r.orders) for r in by_segment if r.period == "2024-02"} == {("2024-02", "-", 3)}


def test_average_order_value_rounds_half_even_before_refunds(ledger):
    # 0.01 + 0.04 over 2 orders = 0.025: half-even gives 0.02 (half-up would give 0.03).
    ledger.append("purchase", "E", {"order_id": "E1", "amount": "0.01"}, occurred_at="2024-05-01")
    ledger.append("purchase", "E", {"order_id": "E2", "amount": "0.04"}, occurred_at="2024-05-02")
    ledger.append("refund", "E", {"order_id": "E2", "amount": "0.04"}, occurred_at="2024-05-03")
    assert ledger.profile("E").average_order_value == {"EUR": "0.02"}
    # 0.01 + 0.02 + 0.04 = 0.07 over 2 more: 0.035 rounds to 0.04 (to even).
    ledger.append("purchase", "E", {"order_id": "E3", "amount": "0.02"}, occurred_at="2024-05-04")
    ledger.append("purchase", "E", {"order_id": "E4", "amount": "0.07"}, occurred_at="2024-05-05")
    assert ledger.profile("E").average_order_value == {"EUR": "0.04"}  # 0.14 / 4 = 0.035


def test_an_as_of_day_covers_the_whole_utc_day(ledger):
    ledger.append("purchase", "F", {"order_id": "F1", "amount": "1.00"}, occurred_at="2024-05-31T23:59:59Z")
    assert [r.cohort for r in ledger.cohorts(as_of="2024-05-31").cohorts] == ["2024-05"]
    assert ledger.cohorts(as_of="2024-05-30").cohorts == []
