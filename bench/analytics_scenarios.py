"""The analytics queries' scenarios: cohort tables and trends with buyer figures, over the whole projected base."""

from __future__ import annotations

import time
from typing import Any

from bench.context import RunContext
from bench.measure import Measurement, check, median_latency
from ledger.application import Ledger
from ledger.config import LedgerConfig

SAMPLES = 3


def cohorts_latency(context: RunContext) -> Measurement:
    """Monthly retention cohorts of every customer, from the profiles table."""
    with _projected(context) as ledger:
        found = ledger.cohorts(by="month")
        check(len(found.cohorts) > 12, f"only {len(found.cohorts)} cohorts")
        check(all(row.values[0] == 1.0 for row in found.cohorts), "a cohort's first period is not 100%")
        return median_latency([_timed(ledger.cohorts, by="month") for _ in range(SAMPLES)])


def cohorts_revenue_latency(context: RunContext) -> Measurement:
    """Monthly revenue cohorts converted into another currency (every day's rate looked up)."""
    with _projected(context) as ledger:
        found = ledger.cohorts(by="month", metric="revenue", convention="unbounded", currency="USD")
        check(found.currency == "USD" and len(found.cohorts) > 12, "no revenue cohorts in USD")
        query = {"by": "month", "metric": "revenue", "convention": "unbounded", "currency": "USD"}
        return median_latency([_timed(ledger.cohorts, **query) for _ in range(SAMPLES)])


def trends_in_currency_latency(context: RunContext) -> Measurement:
    """Monthly trends with the buyer figures and revenue converted into another currency."""
    with _projected(context) as ledger:
        found = ledger.trends(by="month", currency="USD")
        check(sum(row.orders for row in found) > 0, "no orders in the trends")
        return median_latency([_timed(ledger.trends, by="month", currency="USD") for _ in range(SAMPLES)])


def _projected(context: RunContext) -> Ledger:
    assert context.projected_url is not None
    return Ledger(context.projected_url, config=LedgerConfig())


def _timed(query: Any, **kwargs: Any) -> float:
    started = time.perf_counter()
    query(**kwargs)
    return time.perf_counter() - started
