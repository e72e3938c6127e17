"""The Python API services import: ``Ledger``, opened on a database URL."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from commands.errors import CustomerNotFoundError, EventNotFoundError, InvalidEventError
from commands.inputs import EventInput, parse_event
from commands.records import NewEvent, RecordedEvent
from commands.timeutil import end_of_day_utc, parse_time_text, to_utc
from ledger.audit.corrections import timeline_view
from ledger.audit.digest import DigestDocument, take_digest
from ledger.audit.export import ExportFormat, export_events
from ledger.audit.verify import Digest, VerificationReport, verify_log
from ledger.config import LedgerConfig, load_config
from ledger.storage.store import EventStore
from ledger.writing import AppendResult, Rejection, append_batch

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one append: where the event is, and whether it was already there."""

    event_id: str
    position: int
    duplicate: bool


class Ledger:
    """An event ledger of customer interactions on one database.

    Example::

        with Ledger("sqlite:///ledger.db") as ledger:
            ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "19.90"}, occurred_at="2024-05-01")
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
        occurred_at: datetime | date | str | None = None,
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

    def timeline(
        self, customer: str, *, as_of: datetime | date | str | None = None, known_at: datetime | date | str | None = None
    ) -> list[RecordedEvent]:
        """Return a customer's events in stream order.

        as_of keeps the events that occurred by then (with their voids and
        corrections); known_at keeps those the ledger had recorded by then
        (before later imports and corrections).
        """
        events = self.store.stream(customer)
        if not events:
            raise CustomerNotFoundError(customer)
        return timeline_view(
            events,
            as_of=None if as_of is None else self.upper_bound(as_of),
            known_at=None if known_at is None else self.upper_bound(known_at),
        )

    def upper_bound(self, moment: datetime | date | str) -> datetime:
        """Return the last instant an as-of bound covers: a date means its whole day (UTC), a naive time the configured zone."""
        if isinstance(moment, str):
            moment = parse_time_text(moment)
        if isinstance(moment, datetime):
            return to_utc(moment, self.config.ledger.tz)
        return end_of_day_utc(moment)

    def verify(self, digest: Digest | None = None) -> VerificationReport:
        """Check the raw stored log (chains, positions, checkpoints, an outside digest); raise VerificationFailedError."""
        return verify_log(self.store, digest)

    def digest(self) -> DigestDocument:
        """Return a digest of the whole log to keep outside the database, and checkpoint it."""
        return take_digest(self.store)

    def export_events(
        self,
        *,
        customer: str | None = None,
        occurred_from: datetime | date | str | None = None,
        occurred_to: datetime | date | str | None = None,
        file_format: ExportFormat = "jsonl",
    ) -> Iterator[bytes]:
        """Stream stored events with positions and hashes, ending with the export's own digest line."""
        start = None
        if occurred_from is not None:
            moment = parse_time_text(occurred_from) if isinstance(occurred_from, str) else occurred_from
            start = to_utc(moment, self.config.ledger.tz)
        end = None if occurred_to is None else self.upper_bound(occurred_to)
        return export_events(self.store, customer=customer, occurred_from=start, occurred_to=end, file_format=file_format)

    def log(self, *, after: int = 0, limit: int = 100) -> list[RecordedEvent]:
        """Return the global log after a position, in commit order."""
        return self.store.log(after=after, limit=limit)


def _event_id_of(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("event_id") or "")
    return str(getattr(raw, "event_id", "") or "")
