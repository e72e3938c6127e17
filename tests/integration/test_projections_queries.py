"""Queries on generated data, SQLite and PostgreSQL: the tables' shortcuts answer exactly what a replay answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledger.queries.customers import View, customers, export_rfm, profile
from ledger.queries.reports import trends
from ledger.sample_data import generate_events
from ledger.storage.rfm_cache import cache_table
from projections.metrics import TrendFilter

DAYS = ["2021-06-30", "2022-12-31", "2024-03-31"]


@pytest.fixture
def generated(ledger):
    events = list(generate_events(80, 3, date(2021, 1, 1), date(2024, 6, 30)))
    result = ledger.append_many(events)
    assert not result.rejected
    buyers = [e["customer"] for e in events if e["type"] == "purchase"]
    ledger.void(next(e["event_id"] for e in events if e["type"] == "purchase"), "entered twice")
    return ledger, sorted(set(buyers))


def _replaying(monkeypatch) -> None:
    monkeypatch.setattr(View, "days_from_tables", property(lambda self: False))


@pytest.mark.parametrize("day", DAYS)
def test_as_of_a_day_from_the_tables_equals_the_replay(generated, monkeypatch, day):
    ledger, _ = generated
    listed, exported = customers(ledger, as_of=day), list(export_rfm(ledger, as_of=day))
    assert any(row["rfm"] for row in listed) and exported
    _replaying(monkeypatch)
    assert customers(ledger, as_of=day) == listed
    assert list(export_rfm(ledger, as_of=day)) == exported


def test_profile_scores_from_cached_thresholds_match_the_full_ranking(generated, monkeypatch):
    ledger, buyers = generated
    for day in [None, *DAYS]:
        ranked = {row["customer"]: (row["rfm"], row["value_segment"], row["vip"]) for row in customers(ledger, as_of=day)}
        for customer in [c for c, (rfm, _, _) in ranked.items() if rfm][:10]:
            found = profile(ledger, customer, as_of=day)
            assert (found["rfm"], found["value_segment"], found["vip"]) == ranked[customer]
    with ledger.store.engine.connect() as connection:
        kept = connection.execute(cache_table.select()).all()
    assert len(kept) == 4  # one entry per day asked, all at the same log position
    # A new event moves the position: the next profile ranks afresh, and only the new entry is kept.
    end = "2024-06-30"
    before = profile(ledger, buyers[1], as_of=end)["rfm"]
    ledger.append("purchase", buyers[0], {"order_id": "O-new", "amount": "99999.00"}, occurred_at=end)
    assert profile(ledger, buyers[0], as_of=end)["vip"] is True
    ranked = {row["customer"]: row["rfm"] for row in customers(ledger, as_of=end)}
    assert profile(ledger, buyers[1], as_of=end)["rfm"] == ranked[buyers[1]]
    assert before is not None
    with ledger.store.engine.connect() as connection:
        positions = {row.position for row in connection.execute(cache_table.select())}
    assert positions == {ledger.store.max_position()}
    # The same scores as a replay of the whole log computes.
    _replaying(monkeypatch)
    assert profile(ledger, buyers[1], as_of=end)["rfm"] == ranked[buyers[1]]


@pytest.mark.parametrize(
    "f",
    [
        TrendFilter(by="month"),
        TrendFilter(by="week", split="channel"),
        TrendFilter(by="day", start=date(2022, 2, 1), end=date(2022, 3, 31), split="segment"),
        TrendFilter(by="day", start=date(2022, 2, 1), end=date(2022, 9, 30)),
        TrendFilter(by="month", channel="email", segment="retail"),
    ],
    ids=["month", "week-by-channel", "days-by-segment", "days", "channel-and-segment"],
)
def test_trends_from_the_tables_equal_the_replay(generated, f):
    ledger, _ = generated
    from_tables = trends(ledger, f)
    assert sum(row["nps_answers"] + row["csat_answers"] + row["complaints_filed"] for row in from_tables) > 0
    replayed = trends(ledger, f, as_of=datetime.now(UTC).date().isoformat())
    assert from_tables == replayed


def test_monthly_median_times_from_the_tables_cover_odd_and_even_counts(generated):
    """The tables read a month's median at an offset: one middle time for an odd count, the mean of two for an even one."""
    ledger, _ = generated
    months = [row for row in trends(ledger, TrendFilter(by="month")) if row["complaints_resolved"]]
    assert {row["complaints_resolved"] % 2 for row in months} == {0, 1}
    replayed = trends(ledger, TrendFilter(by="month"), as_of=datetime.now(UTC).date().isoformat())
    assert months == [row for row in replayed if row["complaints_resolved"]]
