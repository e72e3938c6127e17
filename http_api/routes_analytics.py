"""Analytics: the cohort table."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from http_api import examples
from http_api.routes_queries import AsOf, Currency, KnownAt, Reading, moment
from ledger import Ledger
from ledger.results_analytics import CohortsResult

router = APIRouter(prefix="/v1", tags=["queries"])


@router.get(
    "/cohorts",
    response_model=CohortsResult,
    summary="Cohorts by first purchase",
    responses={**examples.ok(examples.COHORTS), 409: examples.MISSING_RATE, **examples.READ_ERRORS},
)
def cohorts(
    _key: Reading,
    request: Request,
    by: Literal["month", "week"] = "month",
    metric: Literal["retention", "revenue"] = "retention",
    convention: Literal["n_period", "unbounded"] = "n_period",
    as_of: AsOf = None,
    known_at: KnownAt = None,
    currency: Currency = None,
) -> CohortsResult:
    """Return customers by first purchase month (or week), and their retention or revenue in each later period.

    n_period counts activity in exactly period k; unbounded in period k or any later one
    (for revenue: the running total of periods 0..k). Revenue is in currency (default the base).
    """
    ledger: Ledger = request.app.state.ledger
    return ledger.cohorts(
        by=by,
        metric=metric,
        convention=convention,
        as_of=moment(ledger, as_of, "as_of"),
        known_at=moment(ledger, known_at, "known_at"),
        currency=currency,
    )
