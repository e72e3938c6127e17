"""The application: ``Ledger``, one method per use case, each returning typed results.

The CLI, the benchmark and every other entry point call only this object.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from commands.errors import EventNotFoundError, InvalidArgumentError
from commands.inputs import EventInput, parse_event, require_text
from commands.records import NewEvent
from ledger import importing
from ledger.application_analytics import LedgerAnalytics
from ledger.application_base import Moment
from ledger.application_identity import LedgerIdentity
from ledger.application_operations import LedgerOperations
from ledger.application_privacy import LedgerPrivacy
from ledger.application_reads import LedgerReads
from ledger.application_report import LedgerReport
from ledger.application_warehouse import LedgerWarehouse
from ledger.config import LedgerConfig, load_config
from ledger.errors import ClosedStore
from ledger.privacy.master_key import load_master_key
from ledger.results import (
    AppendResult,
    ImportSummary,
    Receipt,
)
from ledger.storage.store import EventStore
from ledger.storage.urls import database_url
from ledger.writing import append_batch, append_events

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"


class Ledger(LedgerReads, LedgerOperations, LedgerAnalytics, LedgerPrivacy, LedgerWarehouse, LedgerReport, LedgerIdentity):
    """An event ledger of customer interactions on one database.

    The write use cases are here; the reads (``application_reads``) and the operator
    commands (``application_operations``) are inherited, so that every use case is a
    method of this one object.

    Example::

        with Ledger("sqlite:///ledger.db") as ledger:
            ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "19.90"}, occurred_at="2024-05-01")
            print(ledger.profile("C-1").spend)
    """

    def __init__(self, url: str | None = None, *, config: LedgerConfig | None = None, create: bool = True):
        """Open the ledger at url (a plain path means a SQLite file); without create, one that does not exist is an error."""
        if config is not None and not isinstance(config, LedgerConfig):
            raise InvalidArgumentError(
                f"config: expected a LedgerConfig (ledger.config.load_config(path) reads a file), got {type(config).__name__}"
            )
        if url is not None and not isinstance(url, str | Path):
            raise InvalidArgumentError(f"url: expected a database URL or a file path, got {type(url).__name__}")
        self.config = config or load_config()
        self.url = database_url(str(url or os.environ.get("LEDGER_DB") or DEFAULT_DATABASE_URL))
        master_key = load_master_key(self.config.privacy.master_key_file)
        self.store = EventStore(
            self.url, sqlite_synchronous=self.config.ledger.sqlite_synchronous, master_key=master_key, create=create
        )
        self.store.keys.purposes = frozenset(self.config.privacy.consent_purposes)
        self.store.identity.settings = self.config.identity

    def close(self) -> None:
        """Release the database connections; any later use raises LedgerClosedError."""
        self.store.close()
        self.store = ClosedStore()  # type: ignore[assignment]

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
        customer: str | dict[str, str],
        data: dict[str, Any] | None = None,
        *,
        occurred_at: Moment = None,
        event_id: str | None = None,
        source: str | None = None,
        actor: str | None = None,
        correlation_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Append one event in its own durable transaction; a known event_id is reported as a duplicate.

        With expected_version, store it only if the customer's stream is at that version (0: a new
        customer), else raise VersionConflictError.
        """
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
            result = append_batch(transaction, [event], strict=True, expected_version=expected_version)
        if result.stored:
            return Receipt(event.event_id, result.stored[0].position, duplicate=False)
        return Receipt(event.event_id, self.store.position_of(event.event_id), duplicate=True)

    def append_many(
        self,
        events: Iterable[dict[str, Any] | EventInput | NewEvent],
        *,
        strict: bool = False,
        expected_version: int | None = None,
    ) -> AppendResult:
        """Append a batch in one transaction.

        Invalid events and rule violations are rejected one by one (listed in
        the result), or, when strict, the first one raises and nothing is stored.
        With expected_version, the events (of one customer) are stored only if its
        stream is at that version, else VersionConflictError.
        """
        if isinstance(events, str | bytes | dict) or not isinstance(events, Iterable):
            raise InvalidArgumentError(f"events: expected a list of events, got {type(events).__name__}")
        return append_events(self.store, self.parse, events, strict=strict, expected_version=expected_version)

    def import_file(
        self,
        source: str | Path | IO[bytes],
        *,
        file_format: importing.FileFormat | None = None,
        csv_type: str | None = None,
        delimiter: str | None = None,
        strict: bool = False,
        max_errors: int | None = None,
        batch_size: int = importing.BATCH_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportSummary:
        """Import a JSON Lines or CSV file (a path, or a binary stream); invalid lines are reported and store nothing.

        The format comes from the file name (``.csv``) unless given, a CSV delimiter from
        its header unless given. With max_errors, reading stops at that many rejected
        lines. on_progress is called with the number of bytes read since its last call.
        A failure part-way raises ImportIncompleteError saying what was stored.
        """
        if isinstance(source, str | Path) and not Path(source).is_file():
            raise InvalidArgumentError(f"source: no such file: {str(source)!r}")
        if not isinstance(source, str | Path) and not callable(getattr(source, "read", None)):
            raise InvalidArgumentError(f"source: expected a file path or a binary stream, got {type(source).__name__}")
        return importing.import_source(
            self.store,
            self.parse,
            source,
            file_format=file_format,
            csv_type=csv_type,
            delimiter=delimiter,
            strict=strict,
            max_errors=max_errors,
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
        require_text("event_id", event_id)
        customer = self.store.customer_of(event_id)
        if customer is None:
            raise EventNotFoundError(event_id)
        return customer
