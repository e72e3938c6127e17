"""The application's analytics use cases: exchange rates for converting money, cohorts."""

from __future__ import annotations

from pathlib import Path

from commands.rates_input import RatesFileError, parse_rates
from ledger.application_base import LedgerBase, Moment
from ledger.queries import cohorts as cohort_queries
from ledger.results import RatesImport
from ledger.results_analytics import CohortsResult
from ledger.storage.rates import import_rates


class LedgerAnalytics(LedgerBase):
    """Exchange rates and the analyses built on them."""

    def import_rates(self, path: str | Path) -> RatesImport:
        """Store the rates of a CSV or JSON file (date, currency, rate per base unit; or the ECB layout) as a new version."""
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as error:
            raise RatesFileError(f"{source}: {error.strerror or error}") from None
        rates = parse_rates(text, source.name)
        stored = import_rates(self.store, rates)
        days = sorted({day for day, _, _ in rates})
        return RatesImport(
            rates=stored,
            currencies=sorted({currency for _, currency, _ in rates}),
            first_day=days[0] if days else None,
            last_day=days[-1] if days else None,
            base=self.config.ledger.currency,
        )

    def cohorts(
        self,
        *,
        by: str = "month",
        metric: str = "retention",
        convention: str = "n_period",
        as_of: Moment = None,
        known_at: Moment = None,
        currency: str | None = None,
        progress: bool = False,
    ) -> CohortsResult:
        """Return the cohort table: customers by first purchase month (or week), retention or revenue in each later one.

        convention n_period counts activity in exactly period k; unbounded in period k
        or any later one (for revenue: the running total of periods 0..k).
        """
        return cohort_queries.cohorts(
            self.store,
            self.config,
            by=by,
            metric=metric,
            convention=convention,
            as_of=self._bound(as_of),
            known_at=self._bound(known_at),
            currency=currency,
            progress=progress,
        )
