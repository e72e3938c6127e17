"""Property: the indexed lifecycle evaluation gives exactly what the rules, applied naively, give."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from statistics import median

from hypothesis import given, settings
from hypothesis import strategies as st

from projections import lifecycle
from projections.lifecycle import LifecycleSettings

START = date(2023, 1, 1)


def _gap(days: list[date], rules: LifecycleSettings) -> float:
    if len(days) < rules.min_purchase_days_for_gap:
        return float(rules.default_gap_days)
    return float(median((b - a).days for a, b in pairwise(days)))


def _stage(days: list[date], spend: list[tuple[date, date, int]], on: date, rules: LifecycleSettings) -> tuple:
    """The documented rules, word for word, with plain scans over (purchase day, day made, amount) items.

    A purchase is made on its day; a refund is negative, made on its own day and counted on its purchase's day.
    """
    window = timedelta(days=rules.spend_window_days)
    recent = sum(v for d, made, v in spend if on - window < d <= on and made <= on)
    earlier = sum(v for d, made, v in spend if on - 2 * window < d <= on - window and made <= on)
    held = [d for d in days if d <= on]
    if not held:
        return ("potential", False)
    n, g = len(held), _gap(held, rules)
    r, tenure = (on - held[-1]).days, (on - held[0]).days
    kept = recent >= earlier * rules.spend_ratio
    if r > max(3 * g, 365):
        return ("termination", False)
    if n == 1 or tenure < 90:
        stage = "development"
    elif n >= 4 and tenure >= 365 and kept:
        stage = "maturity"
    else:
        stage = "growth"
    return (stage, r > 2 * g or not kept)


def _history(days, spend, first_seen: date, on: date, rules) -> list[tuple[date, str]]:
    """Every day from first_seen to on, evaluated one by one."""
    entered: list[tuple[date, str]] = []
    day = first_seen
    while day <= on:
        stage = _stage(days, spend, day, rules)[0]
        if not entered or entered[-1][1] != stage:
            entered.append((day, stage))
        day += timedelta(days=1)
    return entered


offsets = st.lists(st.integers(min_value=0, max_value=900), max_size=12, unique=True).map(sorted)


@settings(max_examples=300, deadline=None)
@given(
    offsets=offsets,
    amounts=st.lists(st.integers(-500, 5_000), min_size=12, max_size=12),
    refunds=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 700), st.integers(1, 3_000)), max_size=4),
    on=st.integers(0, 1_300),
)
def test_evaluate_and_history_match_the_rules_applied_day_by_day(offsets, amounts, refunds, on):
    rules = LifecycleSettings()
    days = [START + timedelta(days=o) for o in offsets]
    # Refunds of purchase k, made some days after it: counted on the purchase's day once made.
    late = [(days[k], days[k] + timedelta(days=after), v) for k, after, v in refunds if k < len(days)]
    net = {d: a for d, a in zip(days, amounts, strict=False)}
    for d, _, v in late:
        net[d] -= v
    indexed = lifecycle.PurchaseHistory(days, sorted(net.items()), rules, late)
    items = [*((d, d, a) for d, a in zip(days, amounts, strict=False)), *((d, made, -v) for d, made, v in late)]
    for n in range(0, on + 1, 7):
        day = START + timedelta(days=n)
        found = indexed.evaluate(day)
        assert (found.stage, found.churn_risk) == _stage(days, items, day, rules), day
    end = START + timedelta(days=on)
    assert indexed.history(START, end) == _history(days, items, START, end, rules)


def test_the_reference_uses_the_default_rules():
    rules = LifecycleSettings()
    assert (rules.termination_gap_multiple, rules.termination_min_days, rules.development_tenure_days) == (3, 365, 90)
    assert (rules.maturity_min_purchase_days, rules.maturity_tenure_days, rules.churn_risk_gap_multiple) == (4, 365, 2)
    assert (rules.spend_window_days, rules.spend_ratio, rules.default_gap_days) == (180, Decimal("0.85"), 90)
