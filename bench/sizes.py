"""The two sizes of a run: how much data each scenario gets and how often it runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

SEED = 1
# Fixed dates, so that the data is the same on every day
# (about 9.9 events per customer: 100,000 customers give about 1,000,000 events).
FIRST_DAY = "2020-07-01"
LAST_DAY = "2025-06-30"


@dataclass(frozen=True, slots=True)
class Size:
    """Customers to generate and events per scenario; scenarios with a fixed count use the first lines of the file."""

    name: str
    runs: int
    customers: int
    # Customers of the cost-growth import (and of the hash chain's cost): 1.5x the quick size, which keeps the quick run
    # under 2 minutes (5x took a fifth of it), or 1/10 of the full size.
    growth_customers: int
    single_appends: int
    concurrent_appends: int
    postgres_bulk: int
    postgres_single_appends: int
    postgres_concurrent_appends: int
    # Events (the file's first lines) of the import's least-work floors: at most 100,000, the library's batched save's
    # count, to keep the full run within 20 minutes. Rates fall as the log grows (see the growth scenarios), so a floor
    # measured on fewer events than the import it bounds is, if anything, too high.
    import_floor_events: int
    library_single_saves: int
    library_batched_saves: int
    projection_runner_events: int
    query_samples: int
    # Follow mode: events appended at a steady 1,000/s on a ledger seeded with the first follow_base events.
    follow_appends: int
    follow_base: int


QUICK = Size(
    name="quick",
    runs=2,
    customers=2_000,
    growth_customers=3_000,
    single_appends=2_000,
    concurrent_appends=2_000,
    postgres_bulk=10_000,
    postgres_single_appends=500,
    postgres_concurrent_appends=500,
    import_floor_events=100_000,
    library_single_saves=500,
    library_batched_saves=10_000,
    projection_runner_events=500,
    query_samples=200,
    follow_appends=1_000,
    follow_base=10_000,
)

FULL = Size(
    name="full",
    runs=3,
    customers=100_000,
    growth_customers=10_000,
    single_appends=10_000,
    concurrent_appends=8_000,
    postgres_bulk=100_000,
    postgres_single_appends=2_000,
    postgres_concurrent_appends=4_000,
    import_floor_events=100_000,
    library_single_saves=3_000,
    library_batched_saves=100_000,
    projection_runner_events=3_000,
    query_samples=2_000,
    follow_appends=10_000,
    follow_base=50_000,
)


# One customer with 1,000 events, added to the read side's database: the as-of profile's worst case.
HEAVY_CUSTOMER = "C-HEAVY"
HEAVY_EVENTS = 1_000


def heavy_customer_events() -> Iterator[dict[str, Any]]:
    """Yield the heavy customer's events: purchases, contacts and surveys spread over the data's years."""
    first, last = date.fromisoformat(FIRST_DAY), date.fromisoformat(LAST_DAY)
    step = (last - first) / HEAVY_EVENTS
    for n in range(HEAVY_EVENTS):
        day = (first + step * n).isoformat() + "T12:00:00Z"
        data: dict[str, Any]
        if n % 3 == 0:
            kind, data = "purchase", {"order_id": f"HEAVY-{n}", "amount": f"{10 + n % 50}.00"}
        elif n % 3 == 1:
            kind, data = "contact", {"channel": "phone"}
        else:
            kind, data = "survey_answered", {"survey_id": "HEAVY", "kind": "nps", "score": n % 11}
        yield {"type": kind, "customer": HEAVY_CUSTOMER, "occurred_at": day, "event_id": f"bench-heavy-{n}", "data": data}
