"""The HTML report on SQLite and PostgreSQL: each chart draws the ledger's own figures, and the page needs no network."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest

from ledger import STAGES

CHARTS = ("lifecycle", "segments", "satisfaction", "complaints", "sla", "cohorts", "top_customers")


def _shop(ledger) -> None:
    for n, (day, amount) in enumerate([("2024-01-05", "10.00"), ("2024-02-06", "20.00"), ("2024-02-07", "35.00")]):
        ledger.append("purchase", f"C-{n}", {"order_id": f"o{n}", "amount": amount, "currency": "EUR"}, occurred_at=day)
    ledger.append("purchase", "C-0", {"order_id": "o9", "amount": "5.00", "currency": "EUR"}, occurred_at="2024-03-01")
    ledger.append("contact", "C-3", {"channel": "email"}, occurred_at="2024-02-01")
    ledger.append("survey_answered", "C-1", {"survey_id": "s1", "kind": "nps", "score": 10}, occurred_at="2024-02-08")
    ledger.append("survey_answered", "C-2", {"survey_id": "s2", "kind": "csat", "score": 4}, occurred_at="2024-03-08")
    ledger.append("complaint_filed", "C-2", {"complaint_id": "k1", "severity": "low"}, occurred_at="2024-03-09")


def test_each_chart_draws_the_ledgers_figures(ledger):
    _shop(ledger)
    report = ledger.report(as_of="2024-03-31")
    assert [c.name for c in report.charts] == list(CHARTS)
    charts = {c.name: c for c in report.charts}
    customers = ledger.customers(as_of="2024-03-31").rows
    trends = ledger.trends(by="month", as_of="2024-03-31").rows
    cohorts = ledger.cohorts(by="month", as_of="2024-03-31")
    assert report.customers == len(customers) == 4
    assert report.as_of == "2024-03-31"

    funnel = charts["lifecycle"].figure["data"][0]
    stages = Counter(c.stage for c in customers)
    assert (list(funnel["y"]), list(funnel["x"])) == (list(STAGES), [stages[s] for s in STAGES])
    grid = charts["segments"].figure["data"][0]["z"]
    assert sum(map(sum, grid)) == sum(c.rfm is not None for c in customers) == 3
    nps, csat, ces = charts["satisfaction"].figure["data"]
    assert list(nps["x"]) == [t.period for t in trends if t.nps is not None] == ["2024-02"]
    assert list(csat["y"]) == [t.csat for t in trends if t.csat is not None]
    assert [c[0] for c in csat["customdata"]] == [t.csat_answers for t in trends if t.csat is not None] == [1]
    assert list(ces["x"]) == []
    filed = charts["complaints"].figure["data"][0]
    assert list(filed["y"]) == [t.complaints_filed for t in trends]
    cells = sum(v is not None for c in cohorts.cohorts for v in c.values)
    assert charts["cohorts"].points == cells and list(charts["cohorts"].figure["data"][0]["y"]) == [
        c.cohort for c in cohorts.cohorts
    ]
    top = charts["top_customers"].figure["data"][0]
    expected = sorted((c for c in customers if c.spend_365), key=lambda c: -Decimal(c.spend_365))
    assert list(top["y"]) == [c.customer for c in expected] == ["C-2", "C-1", "C-0"]
    assert charts["sla"].points == 6


def test_the_page_is_self_contained(ledger):
    _shop(ledger)
    html = ledger.report(as_of="2024-03-31").html
    assert html.count("Plotly.newPlot") == len(CHARTS)
    # Scripts and styles inline: nothing for the browser to fetch (the browser test watches the requests themselves).
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img", html)
    assert "<td>C-2</td>" in html


def test_an_unknown_currency_is_one_clear_error(ledger):
    _shop(ledger)
    from ledger import UnknownCurrencyError

    with pytest.raises(UnknownCurrencyError, match="XYZ"):
        ledger.report(currency="XYZ")
