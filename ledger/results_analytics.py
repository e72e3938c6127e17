"""What the analytics use cases return: cohort tables (plain typed values, field names are the JSON output's)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One cohort: the period its customers first bought in, how many, and a value per period since (None: not reached).

    Retention values are shares (0..1); revenue values are decimal text in the reporting currency.
    """

    cohort: str
    size: int
    values: list[float | str | None]


@dataclass(frozen=True, slots=True)
class CohortsResult:
    """A cohort table: customers acquired by first purchase period, and a metric in each later period.

    ``overall`` weighs the cohorts by size, over only the cohorts that have reached each
    period (retention: a share; revenue: net revenue per acquired customer, decimal text).
    ``restricted`` counts the buyers left out because their processing is restricted.
    """

    by: str
    metric: str
    convention: str
    currency: str | None
    as_of: str
    cohorts: list[CohortRow]
    overall: list[float | str | None] = field(default_factory=list)
    behind: int = 0
    restricted: int = 0
