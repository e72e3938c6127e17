"""RFM over one window: every cell of the R x F grid is reachable, and late refunds never make spend negative."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from projections import lifecycle, rfm, spend
from projections.facts import Fact, iso
from projections.lifecycle import LifecycleSettings
from projections.profiles import build_record
from projections.rates import RateTable

ON = date(2025, 1, 1)
EUR = RateTable("EUR", []).converter("EUR")

# The grid of docs/definitions.md, written out by hand: GRID[r][f - 1].
GRID = {
    5: ["new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"],
    4: ["promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"],
    3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"],
    1: ["lost", "hibernating", "at_risk", "at_risk", "cannot_lose"],
}


def _purchase(n: int, day: date, amount: str = "10.00", order: str | None = None) -> Fact:
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return Fact(
        n,
        "purchase",
        f"e{n}",
        iso(when) or "",
        "2025-01-01T00:00:00Z",
        {"order_id": order or f"o{n}", "amount": amount, "currency": "EUR"},
    )


def _refund(n: int, day: date, order: str, amount: str) -> Fact:
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return Fact(n, "refund", f"e{n}", iso(when) or "", "2025-01-01T00:00:00Z", {"order_id": order, "amount": amount})


def test_a_customer_for_every_cell_of_the_grid():
    # Customer (r, f): last purchase 10, 70, 130, 190 or 250 days ago (R 5..1), f purchase days ending then.
    # 25 customers, 5 per recency and 5 per frequency: the quintile cuts fall between the groups.
    values = {}
    for r in range(1, 6):
        last = ON - timedelta(days=10 + 60 * (5 - r))
        for f in range(1, 6):
            facts = [_purchase(k, last - timedelta(days=f - 1 - k)) for k in range(f)]
            record = build_record(f"C-{r}{f}", facts)
            found = spend.rfm_input(record.days, ON, EUR)
            assert found == ((ON - last).days, f, 1000 * f)
            values[record.customer] = found
    scores = rfm.score_all(values)
    for r in range(1, 6):
        for f in range(1, 6):
            score = scores[f"C-{r}{f}"]
            assert (score.r, score.f, score.m, score.segment) == (r, f, f, GRID[r][f - 1]), (r, f)
    assert {s.segment for s in scores.values()} == set(rfm.SEGMENTS)  # at_risk and cannot_lose included


def test_a_customer_whose_last_purchase_is_before_the_window_is_lost_outside_the_ranking():
    lapsed = build_record("C-old", [_purchase(1, ON - timedelta(days=400)), _purchase(2, ON - timedelta(days=366))])
    recent = build_record("C-new", [_purchase(3, ON - timedelta(days=3))])
    values = {r.customer: spend.rfm_input(r.days, ON, EUR) for r in (lapsed, recent)}
    assert values == {"C-old": (366, 0, 0), "C-new": (3, 1, 1000)}
    scores = rfm.score_all(values)  # type: ignore[arg-type]
    assert (scores["C-old"].r, scores["C-old"].f, scores["C-old"].m, scores["C-old"].segment) == (1, 1, 1, "lost")
    # Alone in the ranking, the recent buyer beats no one (R 1) yet is the top 20% by spend.
    assert (scores["C-new"].r, scores["C-new"].vip) == (1, True)


def test_a_late_refund_lowers_its_order_s_window_and_never_makes_spend_negative():
    bought, refunded = date(2024, 1, 10), date(2024, 12, 20)
    record = build_record(
        "C-1",
        [_purchase(1, bought, "100.00", "o1"), _purchase(2, date(2024, 11, 1), "20.00"), _refund(3, refunded, "o1", "100.00")],
    )
    # Trailing 365 days as of 2025-02-01 start after the order: the refund does not count either.
    assert spend.rfm_input(record.days, date(2025, 2, 1), EUR) == (92, 1, 2000)
    # Before the refund was made the order counts in full; after, it nets to 0.
    assert spend.rfm_input(record.days, date(2024, 12, 1), EUR) == (30, 2, 12000)
    assert spend.rfm_input(record.days, date(2024, 12, 31), EUR) == (60, 2, 2000)
    spent, refunds = spend.spend_history(record.days, EUR)
    assert refunds == [(bought, refunded, 10000)]
    history = lifecycle.PurchaseHistory([bought, date(2024, 11, 1)], spent, LifecycleSettings(), refunds)
    # 180-day windows on 2024-12-31: (07-04, 12-31] holds only the 20.00 order; the refunded order is in the earlier one.
    late = history.evaluate(date(2024, 12, 31))
    assert (late.recent_spend, late.earlier_spend) == (2000, 0)
    # On 2024-06-01 the refund was not yet made: the order counts in full in its window.
    assert history.evaluate(date(2024, 6, 1)).recent_spend == 10000
    for day in (date(2024, 1, 1) + timedelta(days=k) for k in range(0, 800, 5)):
        found = history.evaluate(day)
        assert found.recent_spend >= 0 and found.earlier_spend >= 0, day
