"""Read-side figures checked against hand-computed values, with no database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.currencies import MINOR_UNITS
from commands.timeutil import end_of_day_utc
from ledger.queries.reports import trend_rows
from projections import lifecycle, metrics, rfm, sla
from projections.complaints import complaint_rows
from projections.facts import Fact, decode, effective, iso
from projections.lifecycle import LifecycleSettings
from projections.profiles import build_record, minor_units
from projections.sla import SlaSettings

RULES = LifecycleSettings()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def fact(n: int, kind: str, when: datetime, data: dict, *, recorded: str = "2025-01-01T00:00:00Z") -> Fact:
    return Fact(n, kind, f"e{n}", iso(when) or "", recorded, data)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- satisfaction -----------------------------------------------------------


def test_nps_counts_passives_in_the_total_only():
    assert metrics.nps(Counter([10, 9, 8, 7, 6, 0])) == 0.0
    assert metrics.nps(Counter([10, 9, 9, 8, 3])) == 40.0
    assert metrics.nps(Counter([7, 8])) == 0.0
    assert metrics.nps(Counter()) is None


def test_csat_and_ces():
    assert metrics.csat(Counter([5, 4, 3, 2, 1])) == 40.0
    assert metrics.ces(Counter([1, 2, 4])) == pytest.approx(7 / 3)
    assert metrics.ces(Counter()) is None


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert metrics.median_or_none([30.0, 10.0, 20.0, 40.0]) == 25.0
    assert metrics.median_or_none([]) is None


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2024, 12, 29), "2024-W52"),
        (date(2024, 12, 30), "2025-W01"),
        (date(2021, 1, 3), "2020-W53"),
        (date(2021, 1, 4), "2021-W01"),
    ],
)
def test_iso_week_boundaries(day, week):
    assert metrics.period_key(day, "week") == week


def _answer(when: str, kind: str, score: int, **extra) -> tuple[str, dict]:
    base = {"occurred_at": at(when), "kind": kind, "score": score, "channel": "web", "segment": None}
    return "answer", {"expectation": None, "perceived_quality": None, "perceived_value": None, **base, **extra}


def _complaint(filed: str, resolved: str | None, responded: str | None = None, channel: str = "phone") -> tuple[str, dict]:
    return "complaint", {
        "filed_at": at(filed),
        "resolved_at": at(resolved) if resolved else None,
        "first_response_at": at(responded) if responded else None,
        "resolutions": [(at(resolved), at(responded) if responded else None)] if resolved else [],
        "channel": channel,
        "segment": "retail",
    }


def test_trends_split_months_at_the_boundary_and_compute_every_figure():
    items = [
        _answer("2024-01-31T23:59:59+00:00", "nps", 10, expectation=8, perceived_quality=6, perceived_value=5),
        _answer("2024-01-15T10:00:00+00:00", "nps", 7),
        _answer("2024-01-15T10:00:00+00:00", "nps", 3, expectation=4),
        _answer("2024-01-20T10:00:00+00:00", "csat", 4),
        _answer("2024-01-20T10:00:00+00:00", "ces", 2),
        _answer("2024-01-21T10:00:00+00:00", "ces", 5),
        _answer("2024-02-01T00:00:00+00:00", "csat", 2),
        _complaint("2024-01-30T00:00:00+00:00", "2024-02-01T06:00:00+00:00", "2024-01-30T02:00:00+00:00"),
        _complaint("2024-01-31T00:00:00+00:00", "2024-02-02T00:00:00+00:00"),
        _complaint("2024-02-10T00:00:00+00:00", None),
    ]
    jan, feb = trend_rows(metrics.buckets_of(items, metrics.TrendFilter(by="month")))
    assert jan.period == "2024-01"
    assert (jan.nps, jan.nps_answers) == (0.0, 3)
    assert (jan.csat, jan.csat_answers) == (100.0, 1)
    assert (jan.ces, jan.ces_answers) == (3.5, 2)
    assert jan.expectation == 6.0 and jan.perceived_quality == 6.0 and jan.perceived_value == 5.0
    assert jan.quality_minus_expectation == -2.0
    assert (jan.complaints_filed, jan.complaints_resolved) == (2, 0)
    assert feb.period == "2024-02" and (feb.csat, feb.csat_answers) == (0.0, 1)
    assert (feb.complaints_filed, feb.complaints_resolved) == (1, 2)
    # Resolved in February: 54 h and 48 h to resolve, 2 h and 48 h (the resolution) to first response.
    assert feb.median_resolution_hours == 51.0
    assert feb.median_first_response_hours == 25.0


def test_trends_filter_days_channel_and_split_by_channel():
    items = [
        _answer("2024-03-01T00:00:00+00:00", "csat", 5),
        _answer("2024-03-02T00:00:00+00:00", "csat", 1, channel="phone"),
        _answer("2024-03-05T00:00:00+00:00", "csat", 5, channel="phone"),
    ]
    rows = trend_rows(metrics.buckets_of(items, metrics.TrendFilter(by="day", end=date(2024, 3, 2), channel="phone")))
    assert [(r.period, r.csat) for r in rows] == [("2024-03-02", 0.0)]
    split = trend_rows(metrics.buckets_of(items, metrics.TrendFilter(by="week", split="channel")))
    assert [(r.period, r.channel, r.csat_answers) for r in split] == [
        ("2024-W09", "phone", 1),
        ("2024-W09", "web", 1),
        ("2024-W10", "phone", 1),
    ]


# --- corrections, as-of and known-at ----------------------------------------


def test_effective_applies_voids_and_corrections_in_log_order():
    facts = [
        fact(1, "survey_answered", T0, {"survey_id": "s", "kind": "nps", "score": 3, "channel": "web"}),
        fact(2, "purchase", T0, {"order_id": "o", "currency": "EUR", "amount": "10.00"}),
        fact(3, "event_corrected", T0 + timedelta(days=9), {"target_event_id": "e1", "changes": {"score": 9}}),
        fact(4, "event_corrected", T0 + timedelta(days=9), {"target_event_id": "e1", "changes": {"score": 10, "channel": None}}),
        fact(5, "event_voided", T0 + timedelta(days=9), {"target_event_id": "e2", "reason": "test"}),
    ]
    seen = effective(facts)
    assert [(f.event_id, f.data) for f in seen] == [("e1", {"survey_id": "s", "kind": "nps", "score": 10})]
    # As of a day before the corrections occurred they still apply: they say what was true.
    assert effective(facts, as_of=T0 + timedelta(days=1))[0].data["score"] == 10


def test_known_at_ignores_corrections_recorded_later():
    facts = [
        fact(1, "survey_answered", T0, {"survey_id": "s", "kind": "nps", "score": 3}, recorded="2024-03-01T10:00:00Z"),
        fact(2, "event_corrected", T0, {"target_event_id": "e1", "changes": {"score": 9}}, recorded="2024-03-05T10:00:00Z"),
    ]
    assert effective(facts, known_at=at("2024-03-04T00:00:00+00:00"))[0].data["score"] == 3
    assert effective(facts, known_at=at("2024-03-05T10:00:00+00:00"))[0].data["score"] == 9
    assert effective(facts, known_at=at("2024-03-01T09:59:59+00:00")) == []


def test_as_of_cut_off_keeps_the_whole_boundary_day():
    bound = end_of_day_utc(date(2024, 3, 31))
    facts = [
        fact(1, "contact", at("2024-03-31T23:59:59.999999+00:00"), {"channel": "web"}),
        fact(2, "contact", at("2024-04-01T00:00:00+00:00"), {"channel": "web"}),
    ]
    assert [f.event_id for f in effective(facts, as_of=bound)] == ["e1"]


# --- profile facts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2024-03-01T09:00:00Z", "2024-03-01T09:00:00.000000Z"),
        ("2024-03-01T09:00:00.250000Z", "2024-03-01T09:00:00.250000Z"),
        ("2024-03-01T10:00:00+01:00", "2024-03-01T09:00:00.000000Z"),
        ("2024-03-01T09:00:00.5Z", "2024-03-01T09:00:00.500000Z"),
    ],
)
def test_decode_reads_every_stored_time_form_as_fixed_width_utc(stored, expected):
    state = {"customer": "C-1", "type": "contact", "event_id": "e1", "occurred_at": stored, "recorded_at": "r", "data": {}}
    customer, decoded = decode(7, orjson.dumps(state))
    assert (customer, decoded.position, decoded.occurred) == ("C-1", 7, expected)
    assert decoded.occurred_at == datetime.fromisoformat(expected)


def test_profile_counts_refunds_in_spend_per_currency():
    facts = [
        fact(1, "customer_registered", T0, {"segment": "retail"}),
        fact(2, "purchase", T0, {"order_id": "o1", "currency": "EUR", "amount": "100.00"}),
        fact(3, "purchase", T0 + timedelta(hours=2), {"order_id": "o2", "currency": "EUR", "amount": "0.00"}),
        fact(4, "purchase", T0 + timedelta(days=2), {"order_id": "o3", "currency": "USD", "amount": "5.50"}),
        fact(5, "purchase", T0 + timedelta(days=3), {"order_id": "o4", "currency": "JPY", "amount": "1500"}),
        fact(6, "refund", T0 + timedelta(days=5), {"order_id": "o1", "amount": "30.00"}),
        fact(7, "contact", T0 + timedelta(days=6), {"channel": "phone"}),
        fact(8, "contact", T0 + timedelta(days=1), {"channel": "phone"}),
        fact(9, "survey_answered", T0 + timedelta(days=7), {"kind": "csat", "score": 4}),
        fact(10, "survey_answered", T0 + timedelta(days=8), {"kind": "csat", "score": 1}),
        fact(11, "survey_answered", T0 + timedelta(days=4), {"kind": "nps", "score": 6}),
        fact(12, "survey_answered", T0 + timedelta(days=3), {"kind": "nps", "score": 9}),
    ]
    r = build_record("C-1", facts)
    assert r.money == {"EUR": [2, 10000, 3000], "USD": [1, 550, 0], "JPY": [1, 1500, 0]}
    assert r.days == [
        # The refund counts on its order's day, and says when it was made.
        ["2024-03-01", "EUR", 10000, 3000, 2, [["2024-03-06", 3000]]],
        ["2024-03-03", "USD", 550, 0, 1, []],
        ["2024-03-04", "JPY", 1500, 0, 1, []],
    ]
    assert r.purchase_days == ["2024-03-01", "2024-03-03", "2024-03-04"]
    assert (r.contacts, r.channels, r.last_contact) == (2, {"phone": 2}, iso(T0 + timedelta(days=6)))
    assert (r.last_nps, r.csat_sum, r.csat_count, r.segment) == (6, 5, 2, "retail")
    assert (r.first_seen, r.last_seen) == (iso(T0), iso(T0 + timedelta(days=8)))


@given(
    st.decimals(min_value=0, max_value=10**12, places=3, allow_nan=False),
    st.sampled_from(["EUR", "JPY", "KWD"]),
    st.sampled_from(["quantised", "plain", "scientific"]),
)
def test_minor_units_read_from_text_agree_with_decimal_arithmetic(amount, currency, form):
    places = MINOR_UNITS[currency]
    value = amount.quantize(Decimal(1).scaleb(-places))
    text = {"quantised": str(value), "plain": f"{value.normalize():f}", "scientific": f"{value:E}"}[form]
    assert minor_units(text, currency) == int(value.scaleb(places))


def test_complaint_times_follow_reopening():
    facts = [
        fact(1, "complaint_filed", T0, {"complaint_id": "k", "severity": "high"}),
        fact(2, "complaint_responded", T0 + timedelta(hours=5), {"complaint_id": "k"}),
        fact(3, "complaint_resolved", T0 + timedelta(hours=10), {"complaint_id": "k"}),
        fact(4, "complaint_reopened", T0 + timedelta(hours=20), {"complaint_id": "k"}),
        fact(5, "complaint_resolved", T0 + timedelta(hours=30), {"complaint_id": "k"}),
    ]
    (row,) = complaint_rows("C-1", facts)
    assert (row["state"], row["reopened"]) == ("resolved", 1)
    assert row["first_response_at"] == T0 + timedelta(hours=5)
    assert row["resolved_at"] == T0 + timedelta(hours=30)
    assert row["resolutions"] == [(T0 + timedelta(hours=h), T0 + timedelta(hours=5)) for h in (10, 30)]


def test_a_closed_month_keeps_its_resolved_count_when_a_complaint_is_reopened_later():
    may = [
        fact(1, "complaint_filed", at("2024-05-02T09:00:00+00:00"), {"complaint_id": "k", "severity": "high"}),
        fact(2, "complaint_resolved", at("2024-05-03T09:00:00+00:00"), {"complaint_id": "k"}),
    ]
    june = [
        fact(3, "complaint_reopened", at("2024-06-01T09:00:00+00:00"), {"complaint_id": "k"}),
        fact(4, "complaint_responded", at("2024-06-01T10:00:00+00:00"), {"complaint_id": "k"}),
    ]
    july = [fact(5, "complaint_resolved", at("2024-07-01T09:00:00+00:00"), {"complaint_id": "k"})]

    def months(facts: list) -> dict[str, tuple[int, int, float | None, float | None]]:
        items = [("complaint", row) for row in complaint_rows("C-1", facts)]
        found = trend_rows(metrics.buckets_of(items, metrics.TrendFilter(by="month")))
        return {
            r.period: (r.complaints_filed, r.complaints_resolved, r.median_first_response_hours, r.median_resolution_hours)
            for r in found
        }

    # May by hand: filed 1, resolved 1 after 24 h, the resolution being the first response.
    assert months(may) == {"2024-05": (1, 1, 24.0, 24.0)}
    assert months(may + june)["2024-05"] == (1, 1, 24.0, 24.0)
    # July's resolution counts in July: 60 days from filing; first response still the May resolution.
    assert months(may + june + july) == {"2024-05": (1, 1, 24.0, 24.0), "2024-07": (0, 1, 24.0, 1440.0)}


# --- SLA --------------------------------------------------------------------


@pytest.mark.parametrize(("severity", "hours", "days"), [("critical", 4, 1), ("high", 24, 3), ("medium", 48, 7), ("low", 72, 14)])
def test_each_sla_target(severity, hours, days):
    targets = SlaSettings()
    now = T0 + timedelta(days=100)

    def complaint(responded: timedelta | None, resolved: timedelta | None) -> dict:
        return {
            "customer": "C",
            "complaint_id": "k",
            "severity": severity,
            "channel": None,
            "state": "resolved" if resolved else "open",
            "filed_at": T0,
            "first_response_at": T0 + responded if responded else None,
            "resolved_at": T0 + resolved if resolved else None,
            "reopened": 0,
        }

    on_time = sla.evaluate(complaint(timedelta(hours=hours), timedelta(days=days)), now, targets)
    assert (on_time.response_met, on_time.resolution_met, on_time.overdue) == (True, True, False)
    late = sla.evaluate(complaint(timedelta(hours=hours, seconds=1), timedelta(days=days, seconds=1)), now, targets)
    assert (late.response_met, late.resolution_met) == (False, False)
    pending = sla.evaluate(complaint(None, None), T0 + timedelta(hours=hours), targets)
    assert (pending.response_met, pending.resolution_met, pending.overdue) == (None, None, False)
    breached = sla.evaluate(complaint(None, None), T0 + timedelta(hours=hours, seconds=1), targets)
    assert (breached.response_met, breached.overdue) == (False, True)
    assert breached.age_hours == pytest.approx(hours + 1 / 3600)


# --- lifecycle --------------------------------------------------------------

ON = date(2024, 12, 31)


def _spend(days: list[date], amount: int = 100) -> list[tuple[date, int]]:
    return [(d, amount) for d in days]


def _evaluate(days: list[date], spend: list[tuple[date, int]], on: date, rules: LifecycleSettings) -> lifecycle.Lifecycle:
    return lifecycle.PurchaseHistory(days, spend, rules).evaluate(on)


def _history(
    days: list[date], spend: list[tuple[date, int]], first_seen: date, on: date, rules: LifecycleSettings
) -> list[tuple[date, str]]:
    return lifecycle.PurchaseHistory(days, spend, rules).history(first_seen, on)


def test_potential_without_purchase():
    assert _evaluate([], [], ON, RULES).stage == "potential"


def test_development_with_one_purchase_day_or_short_tenure():
    assert _evaluate([date(2024, 6, 1)], [], ON, RULES).stage == "development"
    short = [date(2024, 10, 3), date(2024, 11, 1), date(2024, 12, 1)]  # tenure 89 days
    assert _evaluate(short, [], ON, RULES).stage == "development"
    assert _evaluate([date(2024, 10, 2), *short[1:]], [], ON, RULES).stage == "growth"  # tenure 90


def test_growth_then_maturity_needs_four_days_a_year_and_kept_spend():
    days = [date(2023, 12, 1), date(2024, 3, 1), date(2024, 6, 1), date(2024, 9, 1), date(2024, 12, 1)]
    mature = _evaluate(days, _spend(days), ON, RULES)
    assert (mature.stage, mature.churn_risk, mature.recent_spend, mature.earlier_spend) == ("maturity", False, 200, 200)
    assert mature.gap_days == 91.5  # gaps 91, 92, 92, 91: the mean of the middle two
    assert _evaluate(days[2:], _spend(days[2:]), ON, RULES).stage == "growth"  # three days
    dropped = [*_spend(days[:3]), (days[3], 85), (days[4], 84)]  # 169 < 85% of 200
    slowing = _evaluate(days, dropped, ON, RULES)
    assert (slowing.stage, slowing.churn_risk) == ("growth", True)
    assert _evaluate(days, [*_spend(days[:3]), (days[3], 85), (days[4], 85)], ON, RULES).stage == "maturity"


def test_termination_after_max_of_three_gaps_and_a_year():
    days = [date(2022, 1, 1), date(2022, 2, 1), date(2022, 3, 1)]  # g = 29.5: the year wins
    assert _evaluate(days, [], date(2023, 3, 1), RULES).stage == "growth"  # r = 365
    ended = _evaluate(days, [], date(2023, 3, 2), RULES)
    assert (ended.stage, ended.churn_risk) == ("termination", False)
    slow = [date(2020, 1, 1), date(2020, 7, 19), date(2021, 2, 4)]  # g = 200: 3g = 600 wins
    assert _evaluate(slow, [], date(2021, 2, 4) + timedelta(days=600), RULES).stage != "termination"
    assert _evaluate(slow, [], date(2021, 2, 4) + timedelta(days=601), RULES).stage == "termination"


def test_churn_risk_when_recency_passes_twice_the_gap():
    days = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 2)]  # g = 30.5
    assert _evaluate(days, _spend(days), date(2024, 5, 2), RULES).churn_risk is False  # r = 61
    flagged = _evaluate(days, _spend(days), date(2024, 5, 3), RULES)  # r = 62
    assert (flagged.stage, flagged.churn_risk) == ("growth", True)


def test_history_lists_stages_entered_by_time_passing():
    assert _history([date(2024, 1, 1)], [], date(2023, 12, 1), date(2025, 3, 1), RULES) == [
        (date(2023, 12, 1), "potential"),
        (date(2024, 1, 1), "development"),
        (date(2025, 1, 1), "termination"),
    ]
    two = [date(2024, 1, 1), date(2024, 1, 15)]
    assert _history(two, [], date(2024, 1, 1), date(2024, 6, 1), RULES) == [
        (date(2024, 1, 1), "development"),
        (date(2024, 3, 31), "growth"),
    ]


def test_customers_move_backwards_when_they_buy_again():
    days = [date(2022, 1, 1), date(2022, 2, 1), date(2022, 3, 1), date(2024, 12, 1)]
    entered = _history(days, [], date(2022, 1, 1), ON, RULES)
    # Back from termination: four purchase days, tenure over a year, spend not below the earlier window.
    assert [s for _, s in entered] == ["development", "growth", "termination", "maturity"]
    assert entered[-1][0] == date(2024, 12, 1)


# --- RFM, VIP and CLV -------------------------------------------------------


def _reference_scores(values: dict[str, tuple[int, int, int]]) -> dict[str, tuple[int, int, int, bool]]:
    """The definition, computed the slow way: 1 + 5 x (customers beaten / customers), VIP = fewer than 20% spend more.

    Only customers with a purchase day in the window (frequency > 0) are ranked; the others are lost, 111.
    """
    ranked = {c: v for c, v in values.items() if v[1]}
    n = len(ranked)
    out = {c: (1, 1, 1, False) for c, v in values.items() if not v[1]}
    for customer, (recency, frequency, spend) in ranked.items():
        r = 1 + 5 * sum(v[0] > recency for v in ranked.values()) // n
        f = 1 + 5 * sum(v[1] < frequency for v in ranked.values()) // n
        m = 1 + 5 * sum(v[2] < spend for v in ranked.values()) // n
        vip = spend > 0 and 5 * sum(v[2] > spend for v in ranked.values()) < n
        out[customer] = (r, f, m, vip)
    return out


def test_quintiles_with_ties_and_direction():
    values = {f"C{v}": (v, v, v) for v in range(1, 11)}
    scores = rfm.score_all(values)
    assert [scores[f"C{v}"].f for v in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [scores[f"C{v}"].r for v in range(1, 11)] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert {(s.r, s.f, s.m) for s in rfm.score_all({"a": (3, 3, 3), "b": (3, 3, 3), "c": (3, 3, 3)}).values()} == {(1, 1, 1)}


@given(st.dictionaries(st.text(max_size=3), st.tuples(*[st.integers(0, 30)] * 3), min_size=1, max_size=40))
def test_thresholds_score_exactly_as_the_definition(values):
    scores = rfm.score_all(values)
    assert {c: (s.r, s.f, s.m, s.vip) for c, s in scores.items()} == _reference_scores(values)
    thresholds = rfm.Thresholds.of(list(values.values()))
    assert (thresholds is None) == all(v[1] == 0 for v in values.values())
    assert thresholds is None or rfm.Thresholds.from_json(thresholds.to_json()) == thresholds


def test_segment_map_and_vips():
    assert (rfm.SEGMENT_MAP[(5, 5)], rfm.SEGMENT_MAP[(1, 1)], rfm.SEGMENT_MAP[(2, 1)]) == ("champions", "lost", "hibernating")
    assert (rfm.SEGMENT_MAP[(1, 5)], rfm.SEGMENT_MAP[(2, 3)], rfm.SEGMENT_MAP[(3, 3)]) == (
        "cannot_lose",
        "at_risk",
        "need_attention",
    )
    assert (rfm.SEGMENT_MAP[(5, 1)], rfm.SEGMENT_MAP[(4, 1)], rfm.SEGMENT_MAP[(4, 4)]) == ("new_customers", "promising", "loyal")
    assert len(rfm.SEGMENT_MAP) == 25
    values = {f"C{i}": (100 - i * 10, i, i * 1000) for i in range(1, 11)}
    scores = rfm.score_all(values)
    assert [c for c, s in scores.items() if s.vip] == ["C9", "C10"]
    assert (scores["C10"].r, scores["C10"].f, scores["C10"].m, scores["C10"].segment) == (5, 5, 5, "champions")
    assert (scores["C1"].r, scores["C1"].f, scores["C1"].m, scores["C1"].segment) == (1, 1, 1, "lost")


def test_clv_summary_in_days_and_weeks():
    days = [(date(2024, 1, 1), 1000), (date(2024, 1, 3), 2000), (date(2024, 1, 10), 4000), (date(2024, 2, 5), 0)]
    s = rfm.clv_summary(days, date(2024, 1, 31), 2)
    assert s is not None
    assert [rfm.decimal_text(v) for v in (s.frequency, s.recency, s.t, s.monetary_value)] == [
        "2.0000",
        "9.0000",
        "30.0000",
        "30.0000",
    ]
    w = rfm.clv_summary(days, date(2024, 1, 31), 2, "weeks")
    assert w is not None and w.recency == Decimal(9) / Decimal(7) and w.t == Decimal(30) / Decimal(7)
    assert rfm.decimal_text(w.recency).startswith("1.2857142857")
    with_zero = rfm.clv_summary(days, date(2024, 2, 5), 2)
    assert with_zero is not None and (with_zero.frequency, with_zero.monetary_value) == (3, Decimal(20))
    single = rfm.clv_summary(days[:1], date(2024, 1, 31), 2)
    assert single is not None and (single.frequency, single.recency, single.monetary_value) == (0, 0, 0)
    assert rfm.clv_summary(days, date(2023, 12, 31), 2) is None
