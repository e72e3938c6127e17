"""The buyer figures and cohorts read from the purchase rows (GROUP BY) equal the fold of a replay, to the minor unit."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.errors import LedgerError
from commands.timeutil import end_of_day_utc
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.queries import position_memo
from ledger.queries.buyers import stored_activity, stored_cohorts
from ledger.queries.purchases import PurchaseDays, buyer_activity, cohorts_of
from ledger.queries.read_models import read_models
from ledger.queries.view import View
from projections.cohorts import Activity, CohortPeriod, period_index
from projections.metrics import TrendFilter

START = date(2024, 1, 1)
DAYS = 120


def _rates_csv() -> str:
    # A rate per day that rounds differently from day to day.
    lines = ["Date,USD,GBP,"]
    for n in range(-7, DAYS + 7):
        lines.append(f"{(START + timedelta(days=n)).isoformat()},{1 + (n % 7) / 37:.6f},{0.8 + (n % 5) / 91:.6f},")
    return "\n".join(lines) + "\n"


purchase = st.fixed_dictionaries(
    {
        "type": st.just("purchase"),
        "data": st.fixed_dictionaries(
            {
                "order_id": st.sampled_from(["O1", "O2", "O3", "O4"]),
                "amount": st.sampled_from(["5.00", "12.34", "99.99", "0.01"]),
                "currency": st.sampled_from(["EUR", "EUR", "USD", "GBP"]),
            }
        ),
    }
)
refund = st.fixed_dictionaries(
    {
        "type": st.just("refund"),
        "data": st.fixed_dictionaries({"order_id": st.sampled_from(["O1", "O2"]), "amount": st.just("1.00")}),
    }
)
segment = st.fixed_dictionaries(
    {"type": st.just("customer_updated"), "data": st.fixed_dictionaries({"segment": st.sampled_from(["retail", "business"])})}
)
history = st.lists(
    st.tuples(st.one_of(purchase, purchase, refund, segment), st.sampled_from(["A", "B", "C", "D"]), st.integers(0, DAYS - 1)),
    min_size=4,
    max_size=30,
)
filters = st.builds(
    TrendFilter,
    by=st.sampled_from(["day", "week", "month"]),
    start=st.one_of(st.none(), st.integers(0, DAYS).map(lambda n: START + timedelta(days=n))),
    end=st.one_of(st.none(), st.integers(0, DAYS).map(lambda n: START + timedelta(days=n))),
    segment=st.sampled_from([None, None, "retail"]),
    split=st.sampled_from([None, "segment"]),
)


def _fill(ledger: Ledger, events: list, voids: list[int]) -> None:
    stored: list[str] = []
    placed: dict[str, int] = {}
    for n, (spec, customer, day) in enumerate(events):
        # Separate order ids per customer: a refund refers to the customer's own order.
        data = {**spec["data"], **({"order_id": f"{customer}-{spec['data']['order_id']}"} if "order_id" in spec["data"] else {})}
        try:
            # A segment as of an earlier day is a replay's, the rows keep the latest: segments change before any day asked.
            # A refund dated before its order is placed counts on its own day in a replay as of a day between them.
            if spec["type"] == "refund":
                day = max(day, placed.get(data["order_id"], day))
            when = START + timedelta(days=-1 if spec["type"] == "customer_updated" else day)
            ledger.append(spec["type"], customer, data, occurred_at=when.isoformat(), event_id=f"e{n}")
            stored.append(f"e{n}")
            if spec["type"] == "purchase":
                placed.setdefault(data["order_id"], day)
        except LedgerError:
            pass  # e.g. a refund beyond what was paid, or of an order not placed
    for index in voids:
        if stored:
            with contextlib.suppress(LedgerError):
                ledger.void(stored[index % len(stored)], "test")


def _nonzero(found: dict[tuple[str, str], Activity]) -> dict[tuple[str, str], Activity]:
    return {key: a for key, a in found.items() if a != Activity()}


def _compare(ledger: Ledger, f: TrendFilter, on: date, currency: str, restricted: set[str]) -> None:
    store, config = ledger.store, ledger.config
    now = datetime.now(UTC)
    stored_view, replayed_view = (
        View(store, config, end_of_day_utc(on), None, currency),
        View(store, config, end_of_day_utc(on), now, currency),
    )
    with stored_view.snapshot() as connection:
        models = read_models(store, connection, ["profiles"])
        tables = models.tables("profiles")
        from_rows = stored_activity(connection, tables, f, on, stored_view.convert, restricted)
        by: CohortPeriod = "week" if f.by == "week" else "month"
        cohorts, left_out = stored_cohorts(connection, tables, by, on, stored_view.convert, restricted)
    days = PurchaseDays(replayed_view, restricted=restricted)
    assert _nonzero(from_rows) == _nonzero(buyer_activity(days, f, replayed_view.convert))
    replayed = PurchaseDays(replayed_view, restricted=restricted)
    assert cohorts == cohorts_of(replayed, by, period_index(on, by), replayed_view.convert)
    assert left_out == replayed.left_out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=history,
    voids=st.lists(st.integers(0, 29), max_size=2),
    checks=st.lists(st.tuples(filters, st.integers(0, DAYS + 5), st.sampled_from(["EUR", "USD"])), min_size=1, max_size=4),
    restricted=st.sets(st.sampled_from(["A", "B", "C", "D"]), max_size=2),
)
def test_rows_and_the_fold_agree_for_any_history_filter_day_and_currency(tmp_path, events, voids, checks, restricted):
    with Ledger(f"sqlite:///{tmp_path / uuid.uuid4().hex}.db", config=LedgerConfig()) as ledger:
        _fill(ledger, events, voids)
        rates = tmp_path / f"{uuid.uuid4().hex}.csv"
        rates.write_text(_rates_csv())
        ledger.import_rates(rates)
        ledger.rebuild(progress=False)
        for f, day, currency in checks:
            _compare(ledger, f, START + timedelta(days=day), currency, restricted)


def test_rows_and_the_fold_agree_on_both_backends(ledger, tmp_path):
    events = [
        (
            {
                "type": "purchase",
                "data": {"order_id": f"O{n}", "amount": f"{n}.{n:02d}", "currency": ["EUR", "USD", "GBP"][n % 3]},
            },
            "ABCD"[n % 4],
            (n * 7) % DAYS,
        )
        for n in range(1, 40)
    ]
    events += [({"type": "refund", "data": {"order_id": "O5", "amount": "1.00"}}, "A", 100)]
    events += [({"type": "customer_updated", "data": {"segment": "retail"}}, "B", 3)]
    _fill(ledger, events, [])
    rates = tmp_path / "rates.csv"
    rates.write_text(_rates_csv())
    ledger.import_rates(rates)
    ledger.rebuild(progress=False)
    for f in (
        TrendFilter(by="month"),
        TrendFilter(by="week", split="segment"),
        TrendFilter(by="day", start=START + timedelta(days=40)),
    ):
        for on in (START + timedelta(days=60), START + timedelta(days=DAYS + 1)):
            _compare(ledger, f, on, "USD", {"C"})
    found = ledger.trends(by="month", currency="USD")
    assert sum(row.orders for row in found) == 39
    assert found.rows == ledger.trends(by="month", currency="USD", known_at=datetime.now(UTC)).rows


def test_a_repeated_query_is_answered_from_memory_until_the_tables_move(ledger):
    ledger.append("purchase", "A", {"order_id": "O1", "amount": "10.00"}, occurred_at="2024-05-02")
    ledger.rebuild(progress=False)
    position_memo._MEMORY.clear()
    first = ledger.trends(by="month")
    assert ledger.trends(by="month").rows == first.rows
    assert len(position_memo._MEMORY[ledger.store.engine]) == 1
    ledger.append("purchase", "B", {"order_id": "O2", "amount": "5.00"}, occurred_at="2024-05-03")
    ledger.catch_up()
    (may,) = ledger.trends(by="month").rows
    assert (may.buyers, may.orders, may.revenue) == (2, 2, "15.00")
    assert len(position_memo._MEMORY[ledger.store.engine]) == 1  # the entry of the older position was dropped


@pytest.mark.parametrize("start", ["2024-05-01", "2024-05-15"])
def test_churn_counts_only_buyers_of_the_range(ledger, start):
    for customer, day in (("A", "2024-04-20"), ("A", "2024-05-20"), ("B", "2024-04-21"), ("B", "2024-05-10")):
        ledger.append("purchase", customer, {"order_id": f"{customer}{day}", "amount": "1.00"}, occurred_at=day)
    ledger.rebuild(progress=False)
    (may,) = ledger.trends(by="month", start=date.fromisoformat(start)).rows
    # April is outside the range: no previous buyers, whatever the day the range starts on.
    assert (may.buyers, may.repeat_purchase_rate, may.churn_rate) == (2 if start == "2024-05-01" else 1, 1.0, None)
    assert (
        ledger.trends(by="month", start=date.fromisoformat(start)).rows
        == ledger.trends(by="month", start=date.fromisoformat(start), known_at=datetime.now(UTC)).rows
    )
