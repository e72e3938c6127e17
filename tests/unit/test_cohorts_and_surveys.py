"""Cohort triangles, buyer activity and the sampling error of survey figures, checked against hand calculations."""

from __future__ import annotations

from collections import Counter
from datetime import date
from math import sqrt

import pytest

from projections import cohorts, survey_stats
from projections.facts import Fact
from projections.satisfaction import answer_rows, sent_rows
from projections.survey_stats import SatisfactionSettings

# Four customers, first purchases in January or February 2024, as-of April 2024.
CUSTOMERS = {
    "A": [(date(2024, 1, 5), 1, 1000), (date(2024, 2, 10), 1, 500), (date(2024, 4, 1), 2, 300)],
    "B": [(date(2024, 1, 20), 1, 2000)],
    "C": [(date(2024, 2, 3), 1, 700), (date(2024, 3, 3), 1, 100)],
    "D": [(date(2024, 2, 28), 1, 400), (date(2024, 4, 30), 1, 100)],
}
APRIL = cohorts.period_index(date(2024, 4, 30), "month")


def _table(metric: str, convention: str) -> cohorts.Triangle:
    gathered = cohorts.gather(CUSTOMERS.values(), "month", APRIL)
    return cohorts.triangle(gathered, "month", APRIL, metric, convention)  # type: ignore[arg-type]


def test_n_period_retention_matches_the_hand_count():
    table = _table("retention", "n_period")
    # January (A, B): Feb A, Mar nobody, Apr A. February (C, D): Mar C, Apr D; too young for k = 3.
    assert table.rows == [("2024-01", 2, [1.0, 0.5, 0.0, 0.5]), ("2024-02", 2, [1.0, 0.5, 0.5, None])]
    # Period k's denominator counts only the cohorts that reached it: k = 3 is January's alone.
    assert table.overall == [(4, 4), (2, 4), (1, 4), (1, 2)]


def test_unbounded_retention_counts_activity_in_k_or_later():
    table = _table("retention", "unbounded")
    # January: A is active at k = 3, so also "retained" at k = 1 and 2; B never came back.
    # February: C's last activity is k = 1, D's k = 2.
    assert table.rows == [("2024-01", 2, [1.0, 0.5, 0.5, 0.5]), ("2024-02", 2, [1.0, 1.0, 0.5, None])]
    assert table.overall == [(4, 4), (3, 4), (2, 4), (1, 2)]


def test_revenue_per_period_and_running_total():
    assert _table("revenue", "n_period").rows == [
        ("2024-01", 2, [3000, 500, 0, 300]),
        ("2024-02", 2, [1100, 100, 100, None]),
    ]
    running = _table("revenue", "unbounded")
    assert running.rows == [("2024-01", 2, [3000, 3500, 3500, 3800]), ("2024-02", 2, [1100, 1200, 1300, None])]
    assert running.overall[3] == (3800, 2)


def test_days_after_the_as_of_period_and_customers_without_purchases_are_left_out():
    january = APRIL - 3
    gathered = cohorts.gather([[(date(2024, 1, 1), 0, -500)], *CUSTOMERS.values()], "month", january)
    assert sorted(gathered) == [january]  # February's cohort is in January's future
    # A refund-only customer is in no cohort; A's February purchase and revenue are not counted yet.
    assert (gathered[january].size, gathered[january].active, gathered[january].revenue) == (2, {0: 2}, {0: 3000})


def test_week_cohorts_use_iso_weeks():
    assert cohorts.period_label(cohorts.period_index(date(2024, 12, 30), "week"), "week") == "2025-W01"
    assert cohorts.period_label(cohorts.period_index(date(2024, 5, 31), "month"), "month") == "2024-05"


def test_repeat_purchase_and_churn_rates_by_hand():
    found = cohorts.activity(
        ((k, cohorts.first_purchase(days), days) for k, days in CUSTOMERS.items()), cohorts.PeriodOf("month")
    )
    # Each customer is its own split value here: sum them per period.
    totals: dict[str, list[int]] = {}
    for (period, _), a in found.items():
        t = totals.setdefault(period, [0, 0, 0, 0, 0])
        for i, v in enumerate((a.orders, a.buyers, a.repeat_buyers, a.previous_buyers, a.lapsed)):
            t[i] += v
    # January: A, B new. February: A repeats, C and D new; of January's A and B, B lapsed.
    # March: C repeats; of February's A, C, D, A and D lapsed. April: A and D repeat; of March's C, C lapsed.
    assert totals["2024-01"] == [2, 2, 0, 0, 0]
    assert totals["2024-02"] == [3, 3, 1, 2, 1]
    assert totals["2024-03"] == [1, 1, 1, 3, 2]
    assert totals["2024-04"] == [3, 2, 2, 1, 1]


def test_a_second_purchase_on_the_first_day_is_not_a_repeat():
    days = [(date(2024, 1, 5), 2, 100)]
    (a,) = [
        v for (p, _), v in cohorts.activity([("", date(2024, 1, 5), days)], cohorts.PeriodOf("month")).items() if p == "2024-01"
    ]
    assert (a.orders, a.buyers, a.repeat_buyers) == (2, 1, 0)


def test_periods_shift_across_year_ends():
    assert cohorts.shift_period("2024-12", "month", 1) == "2025-01"
    assert cohorts.shift_period("2025-W01", "week", -1) == "2024-W52"
    assert cohorts.shift_period("2024-03-01", "day", -1) == "2024-02-29"


# --- survey figures ---


def test_nps_margin_follows_the_promoter_detractor_variance():
    counts = Counter({10: 50, 8: 30, 3: 20})  # p = 0.5, d = 0.2, n = 100
    found = survey_stats.nps(counts)
    assert found is not None and found.value == pytest.approx(30.0)
    variance = 100**2 * (0.5 + 0.2 - (0.5 - 0.2) ** 2)  # 6100
    assert found.se == pytest.approx(sqrt(variance / 100))
    assert found.margin == pytest.approx(1.96 * sqrt(61), rel=1e-3)  # about 15.3 points


def test_csat_margin_is_a_share_and_ces_margin_a_mean():
    csat = survey_stats.csat(Counter({5: 30, 4: 10, 2: 10}))  # 40 of 50 satisfied
    assert csat is not None and csat.value == 80.0
    assert csat.margin == pytest.approx(1.96 * 100 * sqrt(0.8 * 0.2 / 50), rel=1e-3)
    ces = survey_stats.ces(Counter({1: 2, 3: 2}))  # mean 2, sample variance 4/3
    assert ces is not None and ces.value == 2.0
    assert ces.se == pytest.approx(sqrt((4 / 3) / 4))
    single = survey_stats.ces(Counter({4: 1}))
    assert single is not None and single.margin is None
    assert survey_stats.nps(Counter()) is None


def test_small_samples_are_flagged_below_the_configured_minimum():
    default = SatisfactionSettings()
    assert default.min_sample == 30
    assert survey_stats.small_sample(29, default) and not survey_stats.small_sample(30, default)
    assert not survey_stats.small_sample(0, default)  # no figure, nothing to flag
    assert not survey_stats.small_sample(5, SatisfactionSettings(min_sample=5))


def test_a_change_is_significant_only_beyond_the_combined_margin():
    settings = SatisfactionSettings()
    before = survey_stats.csat(Counter({5: 50, 1: 50}))  # 50%, n = 100, se 5 points
    small_rise = survey_stats.csat(Counter({5: 55, 1: 45}))  # +5 points: z about 0.71
    big_rise = survey_stats.csat(Counter({5: 70, 1: 30}))  # +20 points: z about 2.98
    assert survey_stats.significant_change(before, small_rise, settings) is False
    assert survey_stats.significant_change(before, big_rise, settings) is True
    few = survey_stats.csat(Counter({5: 29}))
    assert survey_stats.significant_change(before, few, settings) is None  # under the minimum: not tested
    assert survey_stats.significant_change(None, big_rise, settings) is None


# --- repeat answers and surveys sent ---


def _fact(position: int, event_type: str, occurred: str, **data: object) -> Fact:
    return Fact(position, event_type, f"e{position}", occurred, occurred, dict(data))


def test_repeat_answers_to_one_survey_count_once_the_latest():
    facts = [
        _fact(1, "survey_sent", "2024-05-01T08:00:00.000000Z", survey_id="S1", channel="email"),
        _fact(2, "survey_sent", "2024-05-03T08:00:00.000000Z", survey_id="S1", channel="sms"),  # a reminder
        _fact(3, "survey_answered", "2024-05-02T08:00:00.000000Z", survey_id="S1", kind="nps", score=3),
        _fact(4, "survey_answered", "2024-06-02T08:00:00.000000Z", survey_id="S1", kind="nps", score=9),
        _fact(5, "survey_answered", "2024-05-02T08:00:00.000000Z", survey_id="S1", kind="csat", score=4),
        _fact(6, "survey_answered", "2024-05-02T09:00:00.000000Z", survey_id="S2", kind="nps", score=7),
        _fact(7, "survey_sent", "2024-05-04T08:00:00.000000Z", survey_id="S3"),
    ]
    answers = answer_rows("C-1", facts)
    assert sorted((a["event_id"], a["kind"], a["score"]) for a in answers) == [
        ("e4", "nps", 9),
        ("e5", "csat", 4),
        ("e6", "nps", 7),
    ]
    sent = {row["survey_id"]: row for row in sent_rows("C-1", facts)}
    assert sent["S1"]["sent_at"] == "2024-05-01T08:00:00.000000Z" and sent["S1"]["channel"] == "email"
    assert (sent["S1"]["answered"], sent["S3"]["answered"]) == (1, 0)
    assert "S2" not in sent  # answered without a recorded sending: counts as an answer only


def test_a_same_time_repeat_answer_counts_the_later_in_the_stream():
    facts = [
        _fact(1, "survey_answered", "2024-05-02T08:00:00.000000Z", survey_id="S1", kind="ces", score=2),
        _fact(2, "survey_answered", "2024-05-02T08:00:00.000000Z", survey_id="S1", kind="ces", score=6),
    ]
    assert [a["score"] for a in answer_rows("C-1", facts)] == [6]
