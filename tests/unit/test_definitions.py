"""The definitions' worked examples (docs/definitions.md, "Conventions"), each as stated there."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from ledger.sample_data import generate_events
from projections import metrics, rfm, survey_stats


def test_vip_ties_at_the_boundary_are_all_in():
    # 10 ranked customers, one top spender and 3 tied for second: fewer than 10 / 5 spent more than each of them.
    spend = [900, 500, 500, 500, 100, 90, 80, 70, 60, 50]
    scores = rfm.score_all({f"C{i}": (10, 1, s) for i, s in enumerate(spend)})
    assert sorted(c for c, s in scores.items() if s.vip) == ["C0", "C1", "C2", "C3"]


def test_a_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert metrics.median_or_none([1, 4, 2, 10]) == 3.0
    assert metrics.median_or_none([]) is None


def test_a_resolution_with_no_answer_before_it_is_the_first_response():
    bucket = metrics.Bucket()
    filed = datetime(2024, 5, 1, tzinfo=UTC)
    bucket.add_resolved(filed, None, datetime(2024, 5, 2, tzinfo=UTC))
    assert bucket.median_first_response_hours == bucket.median_resolution_hours == 24.0


def test_ces_is_reported_as_answered_low_means_easy():
    # No inversion: the mean of the 1..7 answers, so that a lower CES is better.
    assert metrics.ces(Counter({1: 3, 7: 1})) == 2.5
    found = survey_stats.ces(Counter({1: 3, 7: 1}))
    assert found is not None and found.value == 2.5
    # The generator's content customers (NPS 9-10) find things easy: their CES answers average low.
    events = list(generate_events(400, 5, date(2023, 1, 1), date(2024, 6, 30)))
    ces = [e["data"]["score"] for e in events if e["type"] == "survey_answered" and e["data"]["kind"] == "ces"]
    assert ces and sum(ces) / len(ces) < 4
