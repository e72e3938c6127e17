"""Queries on generated data, SQLite and PostgreSQL: the tables' shortcuts answer exactly what a replay answers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from ledger.application import Ledger
from ledger.queries.view import View
from ledger.sample_data import generate_events, sample_rates_csv
from ledger.storage.rfm_cache import cache_table
from projections.metrics import TrendFilter

DAYS = ["2021-06-30", "2022-12-31", "2024-03-31"]


@pytest.fixture
def generated(ledger, tmp_path):
    events = list(generate_events(80, 3, date(2021, 1, 1), date(2024, 6, 30)))
    rates = tmp_path / "rates.csv"
    rates.write_text(sample_rates_csv(date(2021, 1, 1), date(2024, 6, 30)))
    ledger.import_rates(rates)
    result = ledger.append_many(events)
    assert not result.rejected
    buyers = [e["customer"] for e in events if e["type"] == "purchase"]
    refunded = {e["data"]["order_id"] for e in events if e["type"] == "refund"}
    first = next(e for e in events if e["type"] == "purchase" and e["data"]["order_id"] not in refunded)
    ledger.void(first["event_id"], "entered twice")
    ledger.rebuild(progress=False)
    return ledger, sorted(set(buyers))


def _replaying(monkeypatch) -> None:
    monkeypatch.setattr(View, "days_from_tables", property(lambda self: False))


def _kept(ledger) -> list:
    with ledger.store.engine.connect() as connection:
        return connection.execute(cache_table.select()).all()


@pytest.mark.parametrize("day", DAYS)
def test_as_of_a_day_from_the_tables_equals_the_replay(generated, monkeypatch, day):
    ledger, _ = generated
    listed, exported = ledger.customers(as_of=day), list(ledger.export_rfm(as_of=day))
    assert any(row.rfm for row in listed) and exported
    _replaying(monkeypatch)
    assert ledger.customers(as_of=day) == listed
    assert list(ledger.export_rfm(as_of=day)) == exported


def test_profile_scores_from_kept_thresholds_match_the_full_ranking(generated, db_url, monkeypatch):
    ledger, buyers = generated
    today = datetime.now(UTC).date().isoformat()
    # The rebuild kept today's thresholds; the queries keep theirs in the process and write nothing.
    assert [(row.position, row.day) for row in _kept(ledger)] == [(ledger.store.max_position(), today)]
    for day in [None, *DAYS]:
        ranked = {row.customer: (row.rfm, row.value_segment, row.vip) for row in ledger.customers(as_of=day)}
        for customer in [c for c, (rfm, _, _) in ranked.items() if rfm][:10]:
            found = ledger.profile(customer, as_of=day)
            assert (found.rfm, found.value_segment, found.vip, found.behind) == (*ranked[customer], 0)
    assert len(_kept(ledger)) == 1
    # A fresh process reads today's kept entry instead of ranking every customer.
    ranking = View.rank
    monkeypatch.setattr(View, "rank", lambda *args: pytest.fail("ranked every customer"))
    with Ledger(db_url, config=ledger.config) as fresh:
        customer = next(c for c in buyers if ledger.profile(c).rfm)
        assert fresh.profile(customer).rfm == ledger.profile(customer).rfm
    monkeypatch.setattr(View, "rank", ranking)
    # A new event puts the read model behind: the profile says so, and folds the customer's own stream.
    end = "2024-06-30"
    before = ledger.profile(buyers[1], as_of=end).rfm
    purchases = ledger.profile(buyers[0]).purchases
    ledger.append("purchase", buyers[0], {"order_id": "O-new", "amount": "99999.00"}, occurred_at=end)
    found = ledger.profile(buyers[0], as_of=end)
    assert (found.vip, found.behind) == (True, 1)
    current = ledger.profile(buyers[0])
    assert (current.purchases, current.behind) == (purchases + 1, 1)
    # Caught up, the table's row says what the stream said, the ranking moves to the new position,
    # and only the new entry is kept.
    ledger.catch_up(progress=False)
    caught_up = ledger.profile(buyers[0])
    assert caught_up.behind == 0
    assert (caught_up.spend, caught_up.purchases, caught_up.last_purchase) == (
        current.spend,
        current.purchases,
        current.last_purchase,
    )
    ranked = {row.customer: row.rfm for row in ledger.customers(as_of=end)}
    assert ledger.profile(buyers[1], as_of=end).rfm == ranked[buyers[1]]
    assert before is not None
    assert {row.position for row in _kept(ledger)} == {ledger.store.max_position()}
    # The same scores as a replay of the whole log computes.
    _replaying(monkeypatch)
    assert ledger.profile(buyers[1], as_of=end).rfm == ranked[buyers[1]]


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
    from_tables = ledger.trends(**dataclasses.asdict(f))
    assert sum(row.nps_answers + row.csat_answers + row.complaints_filed for row in from_tables) > 0
    replayed = ledger.trends(**dataclasses.asdict(f), as_of=datetime.now(UTC).date().isoformat())
    assert from_tables == replayed


def test_monthly_median_times_from_the_tables_cover_odd_and_even_counts(generated):
    """The tables read a month's median at an offset: one middle time for an odd count, the mean of two for an even one."""
    ledger, _ = generated
    months = [row for row in ledger.trends(by="month") if row.complaints_resolved]
    assert {row.complaints_resolved % 2 for row in months} == {0, 1}
    replayed = ledger.trends(by="month", as_of=datetime.now(UTC).date().isoformat())
    assert months == [row for row in replayed if row.complaints_resolved]
