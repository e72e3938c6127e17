"""The application: ``Ledger``, one method per use case, each returning typed results.

The CLI, the benchmark and every other entry point call only this object.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Literal

from commands.errors import CustomerNotFoundError, EventNotFoundError, InvalidEventError
from commands.inputs import EventInput, parse_event
from commands.records import NewEvent, RecordedEvent
from commands.timeutil import end_of_day_utc, parse_time_text, to_utc
from ledger import importing, projection_operations
from ledger.audit.corrections import timeline_view
from ledger.audit.digest import DigestDocument, take_digest
from ledger.audit.export import ExportFormat, export_events
from ledger.audit.verify import Digest, VerificationReport, verify_log
from ledger.config import LedgerConfig, load_config
from ledger.queries import customers as customer_queries
from ledger.queries import reports
from ledger.results import (
    AppendResult,
    ClvRow,
    ComplaintSummary,
    CustomerProfile,
    CustomerSummary,
    ImportSummary,
    ProjectionStatus,
    QueryResult,
    RebuildResult,
    Receipt,
    Rejection,
    StageChange,
    TrendRow,
)
from ledger.storage.store import EventStore
from ledger.writing import append_batch
from projections.metrics import Period, TrendFilter

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"
Moment = datetime | date | str | None


class Ledger:
    """An event ledger of customer interactions on one database.

    Example::

        with Ledger("sqlite:///ledger.db") as ledger:
            ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "19.90"}, occurred_at="2024-05-01")
            print(ledger.profile("C-1").spend)
    """

    def __init__(self, url: str | None = None, *, config: LedgerConfig | None = None):
        self.config = config or load_config()
        self.url = url or os.environ.get("LEDGER_DB") or DEFAULT_DATABASE_URL
        self.store = EventStore(self.url, sqlite_synchronous=self.config.ledger.sqlite_synchronous)

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- writing ---

    def parse(
        self, raw: dict[str, Any] | EventInput, *, require_time: bool = False, default_event_id: str | None = None
    ) -> NewEvent:
        """Validate one event in wire format against the configuration (timezone, currency, clock)."""
        return parse_event(
            raw, self.config.ledger, datetime.now(UTC), require_time=require_time, default_event_id=default_event_id
        )

    def append(
        self,
        type: str,
        customer: str,
        data: dict[str, Any] | None = None,
        *,
        occurred_at: Moment = None,
        event_id: str | None = None,
        source: str | None = None,
        actor: str | None = None,
        correlation_id: str | None = None,
    ) -> Receipt:
        """Append one event in its own durable transaction; a known event_id is reported as a duplicate."""
        raw: dict[str, Any] = {
            "type": type,
            "customer": customer,
            "occurred_at": occurred_at,
            "event_id": event_id,
            "source": source,
            "actor": actor,
            "correlation_id": correlation_id,
            "data": data or {},
        }
        event = self.parse(raw)
        with self.store.write() as transaction:
            result = append_batch(transaction, [event], strict=True)
        if result.stored:
            return Receipt(event.event_id, result.stored[0].position, duplicate=False)
        return Receipt(event.event_id, self.store.position_of(event.event_id), duplicate=True)

    def append_many(self, events: Iterable[dict[str, Any] | EventInput | NewEvent], *, strict: bool = False) -> AppendResult:
        """Append a batch in one transaction.

        Invalid events and rule violations are rejected one by one (listed in
        the result), or, when strict, the first one raises and nothing is stored.
        """
        parsed: list[NewEvent] = []
        invalid: list[Rejection] = []
        for index, raw in enumerate(events):
            if isinstance(raw, NewEvent):
                parsed.append(raw)
                continue
            try:
                parsed.append(self.parse(raw))
            except InvalidEventError as error:
                if strict:
                    raise
                invalid.append(Rejection(index, _event_id_of(raw), error))
        positions = [i for i in range(len(parsed) + len(invalid)) if i not in {r.index for r in invalid}]
        with self.store.write() as transaction:
            result = append_batch(transaction, parsed, strict=strict)
        # Report indexes of the caller's list, not of the valid subset.
        result.rejected = sorted(
            invalid + [Rejection(positions[r.index], r.event_id, r.error) for r in result.rejected], key=lambda r: r.index
        )
        return result

    def import_file(
        self,
        source: str | Path | IO[bytes],
        *,
        file_format: importing.FileFormat | None = None,
        csv_type: str | None = None,
        strict: bool = False,
        batch_size: int = importing.BATCH_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportSummary:
        """Import a JSON Lines or CSV file (a path, or a binary stream); invalid lines are reported and store nothing.

        The format comes from the file name (``.csv``) unless given. on_progress is
        called with the number of bytes read since its last call.
        """
        if isinstance(source, str | Path):
            with open(source, "rb") as stream:
                return self.import_file(
                    stream,
                    file_format=file_format or importing.detect_format(str(source)),
                    csv_type=csv_type,
                    strict=strict,
                    batch_size=batch_size,
                    on_progress=on_progress,
                )
        return importing.import_events(
            self.store,
            self.parse,
            source,
            file_format=file_format or "jsonl",
            csv_type=csv_type,
            strict=strict,
            batch_size=batch_size,
            on_progress=on_progress,
        )

    def void(self, event_id: str, reason: str, *, actor: str | None = None, source: str | None = None) -> Receipt:
        """Append a void of an earlier event to its customer's stream: queries then treat it as never having happened."""
        return self.append(
            "event_voided",
            self._customer_of(event_id),
            {"target_event_id": event_id, "reason": reason},
            actor=actor,
            source=source,
        )

    def correct(
        self,
        event_id: str,
        changes: dict[str, Any],
        *,
        reason: str | None = None,
        actor: str | None = None,
        source: str | None = None,
    ) -> Receipt:
        """Append a correction of some data fields of an earlier event to its customer's stream."""
        data = {"target_event_id": event_id, "changes": changes, "reason": reason}
        return self.append("event_corrected", self._customer_of(event_id), data, actor=actor, source=source)

    def _customer_of(self, event_id: str) -> str:
        customer = self.store.customer_of(event_id)
        if customer is None:
            raise EventNotFoundError(event_id)
        return customer

    # --- reading the log ---

    def timeline(self, customer: str, *, as_of: Moment = None, known_at: Moment = None) -> list[RecordedEvent]:
        """Return a customer's events in stream order.

        as_of keeps the events that occurred by then (with their voids and
        corrections); known_at keeps those the ledger had recorded by then
        (before later imports and corrections).
        """
        events = self.store.stream(customer)
        if not events:
            raise CustomerNotFoundError(customer)
        return timeline_view(events, as_of=self._bound(as_of), known_at=self._bound(known_at))

    def log(self, *, after: int = 0, limit: int = 100, wait: float = 0.0) -> list[RecordedEvent]:
        """Return the global log after a position, in commit order; with wait, wait that many seconds for a first event."""
        deadline = time.monotonic() + wait
        while True:
            events = self.store.log(after=after, limit=limit)
            if events or time.monotonic() >= deadline:
                return events
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def upper_bound(self, moment: datetime | date | str) -> datetime:
        """Return the last instant an as-of bound covers: a date means its whole day (UTC), a naive time the configured zone."""
        if isinstance(moment, str):
            moment = parse_time_text(moment)
        if isinstance(moment, datetime):
            return to_utc(moment, self.config.ledger.tz)
        return end_of_day_utc(moment)

    def _bound(self, moment: Moment) -> datetime | None:
        return None if moment is None else self.upper_bound(moment)

    # --- queries on the read models ---

    def profile(self, customer: str, *, as_of: Moment = None, known_at: Moment = None) -> CustomerProfile:
        """Return a customer's profile as of a date (default now), as known at a time (default now)."""
        found = customer_queries.profile(self, customer, as_of=as_of, known_at=known_at)
        history = [StageChange(**change) for change in found.pop("stage_history")]
        return CustomerProfile(**found, stage_history=history)

    def customers(
        self,
        *,
        stage: str | None = None,
        at_risk: bool = False,
        segment: str | None = None,
        vip: bool = False,
        as_of: Moment = None,
        known_at: Moment = None,
        progress: bool = False,
    ) -> QueryResult[CustomerSummary]:
        """Return customers with their stage, at-risk flag, RFM scores and value segment, filtered."""
        rows = customer_queries.customers(
            self, stage=stage, at_risk=at_risk, segment=segment, vip=vip, as_of=as_of, known_at=known_at, progress=progress
        )
        return QueryResult([CustomerSummary(**row) for row in rows])

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
        progress: bool = False,
    ) -> QueryResult[TrendRow]:
        """Return NPS, CSAT, CES, ACSI-style means and complaint times per period (and channel or segment)."""
        f = TrendFilter(by=by, start=start, end=end, channel=channel, segment=segment, split=split)
        rows = reports.trends(self, f, as_of=as_of, known_at=known_at, progress=progress)
        return QueryResult([TrendRow(**row) for row in rows])

    def complaints(
        self, *, open_only: bool = False, overdue_only: bool = False, as_of: Moment = None, progress: bool = False
    ) -> QueryResult[ComplaintSummary]:
        """Return complaints with age, first-response and resolution times and SLA outcomes on the as-of moment."""
        rows = reports.complaints(self, open_only=open_only, overdue_only=overdue_only, as_of=as_of, progress=progress)
        return QueryResult([ComplaintSummary(**row) for row in rows])

    def export_rfm(
        self, *, as_of: Moment, unit: Literal["days", "weeks"] = "days", known_at: Moment = None, progress: bool = False
    ) -> Iterator[ClvRow]:
        """Yield the CLV summary of every customer with a purchase by as_of (for lifetimes or pymc-marketing)."""
        for row in customer_queries.export_rfm(self, as_of=as_of, unit=unit, known_at=known_at, progress=progress):
            yield ClvRow(**row)

    def export_events(
        self,
        *,
        customer: str | None = None,
        occurred_from: Moment = None,
        occurred_to: Moment = None,
        file_format: ExportFormat = "jsonl",
    ) -> Iterator[bytes]:
        """Stream stored events with positions and hashes, ending with the export's own digest line."""
        start = None
        if occurred_from is not None:
            moment = parse_time_text(occurred_from) if isinstance(occurred_from, str) else occurred_from
            start = to_utc(moment, self.config.ledger.tz)
        return export_events(
            self.store, customer=customer, occurred_from=start, occurred_to=self._bound(occurred_to), file_format=file_format
        )

    # --- operating the projections ---

    def projections_status(self) -> list[ProjectionStatus]:
        """Return where each projection stands against the log."""
        return projection_operations.status(self)

    def rebuild(self, names: Iterable[str] = (), *, progress: bool = False) -> RebuildResult:
        """Rebuild projections (all by default) into new tables and switch to them at once."""
        chosen = list(names)
        started = time.monotonic()
        events = projection_operations.rebuild(self, chosen, progress=progress)
        built = chosen or [status.name for status in self.projections_status()]
        return RebuildResult(built, events, time.monotonic() - started)

    def catch_up(self, names: Iterable[str] = (), *, progress: bool = False) -> int:
        """Bring projections up to the head of the log (building any never built); return events applied."""
        return projection_operations.run(self, list(names), progress=progress)

    def follow(self, names: Iterable[str] = (), *, stop: threading.Event, progress: bool = False) -> int:
        """Catch projections up, then keep them current until stop is set; return events applied."""
        return projection_operations.run(self, list(names), stop=stop, progress=progress)

    # --- audit ---

    def verify(self, digest: Digest | None = None) -> VerificationReport:
        """Check the raw stored log (chains, positions, checkpoints, an outside digest); raise VerificationFailedError."""
        return verify_log(self.store, digest)

    def digest(self) -> DigestDocument:
        """Return a digest of the whole log to keep outside the database, and checkpoint it."""
        return take_digest(self.store)


def _event_id_of(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("event_id") or "")
    return str(getattr(raw, "event_id", "") or "")
