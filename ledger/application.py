"""The application: ``Ledger``, one method per use case, each returning typed results.

The CLI, the benchmark and every other entry point call only this object.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from commands.errors import EventNotFoundError
from commands.inputs import EventInput, parse_event
from commands.records import NewEvent
from ledger import importing
from ledger.application_base import Moment
from ledger.application_operations import LedgerOperations
from ledger.application_reads import LedgerReads
from ledger.config import LedgerConfig, load_config
from ledger.results import (
    AppendResult,
    ImportSummary,
    Receipt,
)
from ledger.storage.store import EventStore
from ledger.writing import append_batch, append_events

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"


class Ledger(LedgerReads, LedgerOperations):
    """An event ledger of customer interactions on one database.

    The write use cases are here; the reads (``application_reads``) and the operator
    commands (``application_operations``) are inherited, so that every use case is a
    method of this one object.

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
        return append_events(self.store, self.parse, events, strict=strict)

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
        return importing.import_source(
            self.store,
            self.parse,
            source,
            file_format=file_format,
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
