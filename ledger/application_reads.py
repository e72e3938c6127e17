"""The application's read use cases: the log, the queries on the read models and the exports."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Literal

from commands.errors import CustomerNotFoundError, InvalidArgumentError
from commands.inputs import require_text
from commands.records import RecordedEvent
from commands.timeutil import lower_bound
from ledger.application_base import LedgerBase, Moment
from ledger.audit.export import ExportFormat, export_events
from ledger.privacy.reveal import Reveal
from ledger.queries import customers as customer_queries
from ledger.queries import reports
from ledger.results import (
    ClvRow,
    ComplaintSummary,
    CustomerProfile,
    CustomerSummary,
    QueryResult,
    TrendRow,
)
from ledger.timeline import timeline_view
from projections.metrics import Period, TrendFilter


class LedgerReads(LedgerBase):
    """Read the log and the read models; nothing here writes."""

    # --- reading the log ---

    def timeline(
        self, customer: str, *, as_of: Moment = None, known_at: Moment = None, personal: bool = False
    ) -> list[RecordedEvent]:
        """Return a customer's events in stream order.

        as_of keeps the events that occurred by then (with their voids and
        corrections); known_at keeps those the ledger had recorded by then
        (before later imports and corrections). Personal fields are masked
        unless personal (which needs the master key for encrypted ones).
        """
        require_text("customer", customer)
        events = self.store.stream(customer, Reveal(self.store.engine, self.store.keys, personal=personal))
        if not events:
            raise CustomerNotFoundError(customer)
        return timeline_view(events, as_of=self._bound(as_of), known_at=self._bound(known_at))

    def log(self, *, after: int = 0, limit: int = 100, wait: float = 0.0, personal: bool = False) -> list[RecordedEvent]:
        """Return the global log after a position, in commit order; with wait, wait that many seconds for a first event.

        Personal fields are masked unless personal.
        """
        deadline = time.monotonic() + wait
        while True:
            events = self.store.log(after=after, limit=limit, view=Reveal(self.store.engine, self.store.keys, personal=personal))
            if events or time.monotonic() >= deadline:
                return events
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    # --- queries on the read models ---

    def profile(
        self, customer: str, *, as_of: Moment = None, known_at: Moment = None, currency: str | None = None
    ) -> CustomerProfile:
        """Return a customer's profile as of a date (default now), as known at a time (default now).

        Current even when the read model is behind (the stream is folded); ``behind`` is the RFM ranking's lag.
        Converted figures are in currency (default the base currency).
        """
        return customer_queries.profile(
            self.store, self.config, customer, as_of=self._bound(as_of), known_at=self._bound(known_at), currency=currency
        )

    def customers(
        self,
        *,
        stage: str | None = None,
        churn_risk: bool = False,
        segment: str | None = None,
        vip: bool = False,
        as_of: Moment = None,
        known_at: Moment = None,
        currency: str | None = None,
        consent: str | None = None,
        progress: bool = False,
    ) -> QueryResult[CustomerSummary]:
        """Return customers with their stage, churn-risk flag, RFM scores and value segment, filtered.

        Restricted customers are left out (counted in ``restricted``); with consent (a configured
        purpose), only those whose consent to it stands granted as of the date.
        """
        if consent is not None and consent not in self.config.privacy.consent_purposes:
            known = ", ".join(self.config.privacy.consent_purposes)
            raise InvalidArgumentError(f"consent: unknown purpose {consent!r} (configured: {known})")
        return customer_queries.customers(
            self.store,
            self.config,
            stage=stage,
            churn_risk=churn_risk,
            segment=segment,
            vip=vip,
            as_of=self._bound(as_of),
            known_at=self._bound(known_at),
            currency=currency,
            consent=consent,
            progress=progress,
        )

    def trends(
        self,
        *,
        by: Period = "month",
        start: date | None = None,
        end: date | None = None,
        channel: str | None = None,
        segment: str | None = None,
        split: Literal["channel", "segment"] | None = None,
        as_of: Moment = None,
        known_at: Moment = None,
        currency: str | None = None,
        progress: bool = False,
    ) -> QueryResult[TrendRow]:
        """Return NPS, CSAT, CES (with sampling error), complaint and buyer figures per period (and channel or segment).

        Revenue is in currency (default the base currency).
        """
        f = TrendFilter(by=by, start=start, end=end, channel=channel, segment=segment, split=split)
        return reports.trends(
            self.store,
            self.config,
            f,
            as_of=self._bound(as_of),
            known_at=self._bound(known_at),
            currency=currency,
            progress=progress,
        )

    def complaints(
        self, *, open_only: bool = False, overdue_only: bool = False, as_of: Moment = None, progress: bool = False
    ) -> QueryResult[ComplaintSummary]:
        """Return complaints with age, first-response and resolution times and SLA outcomes on the as-of moment."""
        return reports.complaints(
            self.store, self.config, open_only=open_only, overdue_only=overdue_only, as_of=self._bound(as_of), progress=progress
        )

    def export_rfm(
        self,
        *,
        as_of: Moment,
        unit: Literal["days", "weeks"] = "days",
        known_at: Moment = None,
        currency: str | None = None,
        progress: bool = False,
    ) -> Iterator[ClvRow]:
        """Yield the CLV summary of every customer with a purchase by as_of (for lifetimes or pymc-marketing)."""
        return customer_queries.export_rfm(
            self.store,
            self.config,
            as_of=self._bound(as_of),
            unit=unit,
            known_at=self._bound(known_at),
            currency=currency,
            progress=progress,
        )

    def export_events(
        self,
        *,
        customer: str | None = None,
        occurred_from: Moment = None,
        occurred_to: Moment = None,
        file_format: ExportFormat = "jsonl",
    ) -> Iterator[bytes]:
        """Stream stored events with positions and hashes, ending with the export's own digest line."""
        start = None if occurred_from is None else lower_bound(occurred_from, self.config.ledger.tz)
        return export_events(
            self.store, customer=customer, occurred_from=start, occurred_to=self._bound(occurred_to), file_format=file_format
        )
