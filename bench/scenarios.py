"""What a scenario of the suite is: its function, its group, the database it needs and the ratios it is judged by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bench.context import Backend

Group = Literal["raw", "library", "ledger"]
Need = Literal["growth file", "populated database", "projected database"]


@dataclass(frozen=True, slots=True)
class Comparison:
    """A ratio to another scenario of the same run (or, without a baseline, the value itself) and its bounds, if any."""

    baseline: str | None = None
    at_least: float | None = None
    at_most: float | None = None

    @property
    def has_target(self) -> bool:
        """Return whether there is a bound to meet, rather than a ratio to show."""
        return self.at_least is not None or self.at_most is not None

    def is_met(self, value: float) -> bool:
        """Return whether value (a ratio, or the scenario's own value) lies within the bounds."""
        return (self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)


def ratio(baseline: str, at_least: float | None = None, at_most: float | None = None) -> Comparison:
    """Compare to another scenario's median: this median / the baseline's."""
    return Comparison(baseline, at_least, at_most)


def absolute(at_least: float | None = None, at_most: float | None = None) -> Comparison:
    """Bound the scenario's own median (a rate in events/s or a latency in ms)."""
    return Comparison(None, at_least, at_most)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One line of the table: a function ``module:name`` taking a RunContext and returning a Measurement."""

    name: str
    # A topic rather than the function itself, so that each subprocess imports only what its scenario needs.
    function: str
    group: Group
    comparisons: tuple[Comparison, ...] = ()
    backend: Backend = "sqlite"
    needs: tuple[Need, ...] = ()
