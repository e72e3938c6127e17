"""The cohort query: customers acquired by first purchase period, retention or revenue in each later period."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

from commands.currencies import MINOR_UNITS
from commands.errors import InvalidArgumentError
from ledger.config import LedgerConfig
from ledger.privacy import states as privacy_states
from ledger.queries.buyers import stored_cohorts
from ledger.queries.position_memo import remembered
from ledger.queries.purchases import PurchaseDays, cohorts_of
from ledger.queries.read_models import read_models
from ledger.queries.view import View
from ledger.results_analytics import CohortRow, CohortsResult
from ledger.storage.store import EventStore
from projections import cohorts as domain

Option = TypeVar("Option", bound=str)


def cohorts(
    store: EventStore,
    config: LedgerConfig,
    *,
    by: str,
    metric: str,
    convention: str,
    as_of: datetime | None,
    known_at: datetime | None,
    currency: str | None,
    progress: bool = False,
) -> CohortsResult:
    """Return the cohort table of a metric under a convention, as of a day, in a reporting currency."""
    period = _choice("by", by, domain.COHORT_PERIODS)
    chosen_metric = _choice("metric", metric, domain.METRICS)
    chosen_convention = _choice("convention", convention, domain.CONVENTIONS)
    view = View(store, config, as_of, known_at, currency)
    revenue = chosen_metric == "revenue"
    until = domain.period_index(view.on, period)
    gathered, behind, restricted = _gathered(view, period, until, revenue, progress)
    table = domain.triangle(gathered, period, until, chosen_metric, chosen_convention)
    places = MINOR_UNITS[view.base]

    def shown(value: float | int | None) -> float | str | None:
        if value is None or chosen_metric == "retention":
            return value
        return _money(Decimal(value).scaleb(-places), places)

    return CohortsResult(
        by=period,
        metric=chosen_metric,
        convention=chosen_convention,
        currency=view.base if chosen_metric == "revenue" else None,
        as_of=view.on.isoformat(),
        cohorts=[CohortRow(label, size, [shown(v) for v in values]) for label, size, values in table.rows],
        overall=[_overall(n, size, chosen_metric, places) for n, size in table.overall],
        behind=behind,
        restricted=restricted,
    )


def _gathered(
    view: View, period: domain.CohortPeriod, until: int, revenue: bool, progress: bool
) -> tuple[dict[int, domain.Cohort], int, int]:
    """Return the cohorts, how many events of the log they leave out and how many restricted buyers.

    From the purchase rows when they answer the view exactly, otherwise from a replay.
    """
    store, behind = view.store, 0
    restricted = privacy_states.restricted_customers(store)
    if view.days_from_tables:
        with view.snapshot() as connection:
            models = read_models(store, connection, ["profiles"])
            if models.built:
                convert = view.convert if revenue else None
                key = ("cohorts", period, revenue, view.on, view.money_key(), frozenset(restricted))

                def compute() -> tuple[dict[int, domain.Cohort], int]:
                    return stored_cohorts(connection, models.tables("profiles"), period, view.on, convert, restricted)

                found, left_out = remembered(store.engine, models, key, compute)
                return found, models.behind, left_out
            behind = models.head
    days = PurchaseDays(view, restricted=restricted, progress=progress, amounts=revenue)
    return cohorts_of(days, period, until, view.convert if revenue else None), behind, days.left_out


def _overall(total: int, size: int, metric: str, places: int) -> float | str | None:
    """Return the overall value of a period: a share, or revenue per acquired customer (None: no cohort reached it)."""
    if not size:
        return None
    if metric == "retention":
        return total / size
    return _money(Decimal(total).scaleb(-places) / size, places)


def _money(amount: Decimal, places: int) -> str:
    """Round half-even to the currency's minor units and format as decimal text."""
    return f"{amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):f}"


def _choice(name: str, value: str, allowed: tuple[Option, ...]) -> Option:
    for option in allowed:
        if value == option:
            return option
    raise InvalidArgumentError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
