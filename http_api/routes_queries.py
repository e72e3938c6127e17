"""Reading: a customer's timeline and profile, the customer list, trends, complaints, and the global log."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from http_api import examples
from http_api.auth import has_pii, require
from http_api.masking import event_out
from http_api.models import EVENT_EXAMPLE, Complaints, CustomersPage, LogPage, Timeline, Trends
from http_api.problems import HttpProblemError
from ledger import Ledger
from ledger.api_keys import ApiKey
from ledger.results import CustomerProfile

router = APIRouter(prefix="/v1", tags=["queries"])
Reading = Annotated[ApiKey, Depends(require("read"))]
# A date means its whole day; a time without offset is in the ledger's timezone (as the CLI reads them).
MOMENT = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
AsOf = Annotated[
    str | None, Query(pattern=MOMENT, description="The day (or time) the answer is for: an ISO date or datetime, as --as-of.")
]
KnownAt = Annotated[
    str | None, Query(pattern=MOMENT, description="Answer with what the ledger had recorded by then (ISO date or datetime).")
]
Currency = Annotated[
    str | None,
    Query(pattern=r"^[A-Z]{3}$", description="Report converted money in this currency (default the base), as --currency."),
]
# Between two reads of an empty log a long-poll sleeps on the event loop, holding no thread of the pool.
POLL_INTERVAL = 0.2


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def moment(ledger: Ledger, value: str | None, name: str) -> str | None:
    """Check an as_of / known_at bound as the Ledger will read it; answer 400 if it cannot."""
    if value is not None:
        try:
            ledger.upper_bound(value)
        except ValueError as error:
            raise HttpProblemError(400, "invalid-request", "Invalid request", f"{name}: {error}") from None
    return value


@router.get(
    "/customers/{customer}/timeline",
    response_model=Timeline,
    summary="A customer's events",
    responses={404: examples.NOT_FOUND, **examples.READ_ERRORS},
)
def timeline(
    customer: str, key: Reading, request: Request, response: Response, as_of: AsOf = None, known_at: KnownAt = None
) -> Timeline:
    """Return a customer's events in stream order; the ETag is the stream's version, for If-Match on POST /v1/events."""
    ledger = _ledger(request)
    as_of_moment, known_at_moment = moment(ledger, as_of, "as_of"), moment(ledger, known_at, "known_at")
    events = ledger.timeline(customer, as_of=as_of_moment, known_at=known_at_moment, personal=has_pii(key))
    # Voids keep their targets in the stream and bounds hide its tail: the version is the stored stream's last.
    version = max((event.version for event in ledger.store.stream(customer)), default=0)
    response.headers["ETag"] = f'"{version}"'
    return Timeline(customer=customer, version=version, events=[event_out(event) for event in events])


@router.get(
    "/customers/{customer}/profile",
    response_model=CustomerProfile,
    summary="A customer's profile",
    responses={**examples.ok(examples.PROFILE), 404: examples.NOT_FOUND, 409: examples.MISSING_RATE, **examples.READ_ERRORS},
)
def profile(
    customer: str,
    _key: Reading,
    request: Request,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    currency: Currency = None,
) -> CustomerProfile:
    """Return contacts, money per currency, complaints, satisfaction, lifecycle stage and value on a day."""
    ledger = _ledger(request)
    return ledger.profile(
        customer, as_of=moment(ledger, as_of, "as_of"), known_at=moment(ledger, known_at, "known_at"), currency=currency
    )


@router.get(
    "/customers",
    response_model=CustomersPage,
    summary="Customers, filtered",
    responses={409: examples.MISSING_RATE, **examples.READ_ERRORS},
)
def customers(
    _key: Reading,
    request: Request,
    stage: Annotated[str | None, Query(description="Only customers in this lifecycle stage.")] = None,
    churn_risk: Annotated[bool, Query(description="Only customers whose lifecycle flags a risk of churning.")] = False,
    segment: Annotated[str | None, Query(description="Only this RFM value segment.")] = None,
    vip: Annotated[bool, Query(description="Only VIP customers.")] = False,
    consent: Annotated[
        str | None, Query(description="Only customers whose consent to this configured purpose stands granted.")
    ] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    currency: Currency = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CustomersPage:
    """Return customers by key with their stage, churn-risk flag, RFM scores and value segment, a page at a time."""
    ledger = _ledger(request)
    found = ledger.customers(
        stage=stage,
        churn_risk=churn_risk,
        segment=segment,
        vip=vip,
        as_of=moment(ledger, as_of, "as_of"),
        known_at=moment(ledger, known_at, "known_at"),
        currency=currency,
        consent=consent,
    )
    # The query answers in customer order; the cursor is the last key shown, so pages stay stable as customers arrive.
    rows = sorted(found.rows, key=lambda row: row.customer)
    after = [row for row in rows if cursor is None or row.customer > cursor]
    page = after[:limit]
    next_cursor = page[-1].customer if len(after) > limit else None
    return CustomersPage(items=page, next_cursor=next_cursor, behind=found.behind, restricted=found.restricted)


@router.get(
    "/trends",
    response_model=Trends,
    summary="Satisfaction and complaint trends",
    responses={**examples.ok(examples.TRENDS), 409: examples.MISSING_RATE, **examples.READ_ERRORS},
)
def trends(
    _key: Reading,
    request: Request,
    by: Literal["day", "week", "month"] = "month",
    start: Annotated[date | None, Query(description="First day.")] = None,
    end: Annotated[date | None, Query(description="Last day.")] = None,
    channel: str | None = None,
    segment: str | None = None,
    split: Literal["channel", "segment"] | None = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    currency: Currency = None,
) -> Trends:
    """Return NPS, CSAT, CES, ACSI-style means and complaint times per period (and channel or segment)."""
    ledger = _ledger(request)
    found = ledger.trends(
        by=by,
        start=start,
        end=end,
        channel=channel,
        segment=segment,
        split=split,
        as_of=moment(ledger, as_of, "as_of"),
        known_at=moment(ledger, known_at, "known_at"),
        currency=currency,
    )
    return Trends(rows=found.rows, behind=found.behind, restricted=found.restricted)


@router.get(
    "/complaints",
    response_model=Complaints,
    summary="Complaints and SLAs",
    responses={**examples.ok(examples.COMPLAINTS), **examples.READ_ERRORS},
)
def complaints(
    _key: Reading,
    request: Request,
    open_only: Annotated[bool, Query(alias="open", description="Only complaints still open.")] = False,
    overdue_only: Annotated[bool, Query(alias="overdue", description="Only complaints past an SLA.")] = False,
    as_of: AsOf = None,
) -> Complaints:
    """Return complaints with age, first-response and resolution times and SLA outcomes on the as-of moment."""
    ledger = _ledger(request)
    found = ledger.complaints(open_only=open_only, overdue_only=overdue_only, as_of=moment(ledger, as_of, "as_of"))
    return Complaints(rows=found.rows, behind=found.behind, restricted=found.restricted)


@router.get(
    "/log",
    response_model=LogPage,
    summary="Follow the global log",
    responses={**examples.ok({"events": [EVENT_EXAMPLE], "next_after": 42}), **examples.READ_ERRORS},
)
async def log(
    key: Reading,
    request: Request,
    after: Annotated[int, Query(ge=0, description="The last position already read (0: from the start).")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to wait for a first event when none is there yet.")] = 0,
) -> LogPage:
    """Return events after a position in commit order; with wait, answer as soon as one arrives (a long-poll)."""
    ledger = _ledger(request)
    deadline = time.monotonic() + min(wait, request.app.state.settings.max_wait)
    while True:
        events = await run_in_threadpool(ledger.log, after=after, limit=limit, personal=has_pii(key))
        if events or time.monotonic() >= deadline or request.app.state.stopping.is_set():
            break
        await asyncio.sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))
    return LogPage(events=[event_out(e) for e in events], next_after=events[-1].position if events else after)
