"""The application's HTML report: the lifecycle, segments, satisfaction, complaints, cohorts and top customers."""

from __future__ import annotations

from ledger.application_base import LedgerBase, Moment
from ledger.privacy import states as privacy_states
from ledger.queries import cohorts as cohort_queries
from ledger.queries import customers as customer_queries
from ledger.queries import reports
from ledger.results_report import Report, ReportChart
from projections.metrics import TrendFilter


class LedgerReport(LedgerBase):
    """Draw the ledger's figures; reads only."""

    def report(self, *, as_of: Moment = None, currency: str | None = None) -> Report:
        """Return the report as of a date (default now), money in currency (default the base currency).

        Every figure is one of the ledger's own queries (customers, trends by month,
        complaints, cohorts by month); the charts only draw them. Restricted customers are
        left out of every chart (``restricted`` counts them), as those queries leave them out;
        the complaints list, an operational one, keeps them, so the SLA chart drops them here.
        """
        # plotly takes longer to import than the whole of a query command: only this command loads it.
        from ledger.report import charts, page

        bound = self._bound(as_of)
        found = customer_queries.customers(self.store, self.config, as_of=bound, currency=currency)
        trends = reports.trends(self.store, self.config, TrendFilter(by="month"), as_of=bound, currency=currency)
        complaints = reports.complaints(self.store, self.config, as_of=bound)
        complaint_rows = list(privacy_states.skip_restricted(self.store, complaints.rows))
        cohorts = cohort_queries.cohorts(
            self.store,
            self.config,
            by="month",
            metric="retention",
            convention="n_period",
            as_of=bound,
            known_at=None,
            currency=currency,
        )
        reporting = currency or self.config.ledger.currency
        drawn = [
            ("lifecycle", charts.lifecycle_funnel(found.rows)),
            ("segments", charts.segment_grid(found.rows)),
            ("satisfaction", charts.satisfaction_trends(trends.rows)),
            ("complaints", charts.complaint_trends(trends.rows)),
            ("sla", charts.sla_outcomes(complaint_rows)),
            ("cohorts", charts.cohort_heatmap(cohorts)),
            ("top_customers", charts.top_customers(found.rows, reporting)),
        ]
        behind = max(found.behind, trends.behind, complaints.behind, cohorts.behind)
        day = cohorts.as_of
        html = page.render(
            as_of=day,
            currency=reporting,
            customers=len(found.rows),
            behind=behind,
            charts=drawn,
            top=charts.top_spenders(found.rows),
            restricted=trends.restricted,
        )
        return Report(
            html=html,
            as_of=day,
            currency=reporting,
            customers=len(found.rows),
            charts=[
                ReportChart(name, str(figure.layout.title.text), page.points(figure), figure.to_plotly_json())
                for name, figure in drawn
            ],
            behind=behind,
            restricted=trends.restricted,
        )
