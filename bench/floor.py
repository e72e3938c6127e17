"""The floors under import and append: the ledger's own SQL alone, and the least work any correct write does.

Each scenario runs, on the ledger's tables and indexes, exactly the statements
``WriteTransaction`` runs (``ledger.write_sql``): the event-id, stream-head,
order and complaint lookups, the next position, the inserts and updates, one
commit per append or per batch of 1,000. Rows are prepared before timing, so
what is measured is the database. The gap between these and the raw baselines
is the schema (side tables, indexes, lookups), not Python.

The "least work" scenarios add, in the timed loop, what no write can skip: each
event validated once from its line's bytes (pydantic, time zone, amounts) and stored as sealed bytes with its
chained hash. No rules, no bookkeeping: what they miss of a target, no
implementation of the ledger's write path on this schema can make up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import orjson

from bench.context import RunContext, read_events
from bench.measure import Measurement, check, rate
from bench.raw import event_rows
from commands.inputs import parse_event
from commands.records import GENESIS_HASH, TOPIC_BY_TYPE, NewEvent, stream_id_for
from commands.timeutil import format_utc
from ledger.config import LedgerConfig
from ledger.storage.store import EventStore
from ledger.storage.write_sql import WriteStatements

BATCH = 1_000


@dataclass(slots=True)
class _Append:
    """One event's statements' parameters, and the event as it came (for the least-work scenarios)."""

    event: tuple[Any, ...]
    event_id: str
    stream: Any  # the side tables' form
    order: tuple[str, str] | None  # ("purchase" | "refund", order_id)
    complaint: tuple[str, str] | None  # ("complaint_filed" | other, complaint_id)
    raw: bytes  # the event's JSON line, validated from its bytes in one pass as an import does
    stream_text: str


class _Sealing:
    """Validates events and seals them, chaining each stream's hashes, as every write must.

    With ``validate_first``, ``prepare`` validates every event before the clock starts:
    the writer's share if validating took no time of its own (another core, say).
    """

    def __init__(self, *, validate_first: bool = False) -> None:
        self.settings = LedgerConfig().ledger
        self.validate_first = validate_first
        self.validated: dict[str, NewEvent] | None = None  # by event id, once prepared
        self.heads: dict[str, str] = {}  # stream -> last hash

    def prepare(self, appends: list[_Append]) -> None:
        """Validate every event now if validation is not to be timed."""
        if self.validate_first:
            now = datetime.now(UTC)
            self.validated = {a.event_id: parse_event(a.raw, self.settings, now, require_time=True) for a in appends}

    def rows(self, batch: list[_Append]) -> list[tuple[Any, ...]]:
        """Return the batch's events table rows, their states validated and sealed."""
        recorded_at = format_utc(datetime.now(UTC))
        rows = []
        for append in batch:
            if self.validated is None:
                event = parse_event(append.raw, self.settings, datetime.now(UTC), require_time=True)
            else:
                event = self.validated[append.event_id]
            position, stream, version = append.event[:3]
            encoded, digest = event.sealed(
                position=position,
                stream=append.stream_text,
                version=version,
                recorded_at=recorded_at,
                prev_hash=self.heads.get(append.stream_text, GENESIS_HASH),
            )
            self.heads[append.stream_text] = digest
            rows.append((position, stream, version, TOPIC_BY_TYPE[event.data.wire_name], encoded))
        return rows


def single_append_statements(context: RunContext) -> Measurement:
    """Run each event's statements in a transaction of its own."""
    size = context.size
    return _run(context, context.count(sqlite=size.single_appends, postgres=size.postgres_single_appends), batch_size=1)


def single_append_least_work(context: RunContext) -> Measurement:
    """Validate, seal and run each event's statements in a transaction of its own."""
    size = context.size
    count = context.count(sqlite=size.single_appends, postgres=size.postgres_single_appends)
    return _run(context, count, batch_size=1, seal=_Sealing())


def import_least_work(context: RunContext) -> Measurement:
    """Validate, seal and run the statements of batches of 1,000 events, one transaction per batch (the first 100,000)."""
    return _run(context, min(context.events, context.size.import_floor_events), BATCH, seal=_Sealing())


def import_sealing_validated(context: RunContext) -> Measurement:
    """Seal and run the statements of batches of 1,000 events validated before the clock (the first 100,000)."""
    return _run(context, min(context.events, context.size.import_floor_events), BATCH, seal=_Sealing(validate_first=True))


def import_statements(context: RunContext) -> Measurement:
    """Run the statements of batches of 1,000 events, one transaction per batch."""
    return _run(context, context.count(sqlite=context.events, postgres=context.size.postgres_bulk), batch_size=BATCH)


def import_statements_growth(context: RunContext) -> Measurement:
    """Run the statements of an import of the growth file: the ledger schema's own cost growth between the two sizes."""
    assert context.growth_file is not None
    return _run(context, context.growth_events, batch_size=BATCH, path=context.growth_file)


def _run(
    context: RunContext,
    count: int,
    batch_size: int,
    path: str | None = None,
    *,
    seal: _Sealing | None = None,
) -> Measurement:
    """Run the statements of count events in transactions of batch_size; with seal, validate and seal them too."""
    with _prepared(context, count, path or context.events_file) as (store, appends):
        sql, connection = store.recorder.write_sql, store.engine.raw_connection()
        if seal is not None:
            seal.prepare(appends)
        try:
            started = time.perf_counter()
            for batch in batched(appends, batch_size):
                rows = None if seal is None else seal.rows(batch)
                with store.recorder.driver_transaction(connection) as cursor:
                    _write(sql, cursor, batch, rows)
                    if store.is_postgres:
                        cursor.execute(sql.postgres_notify)
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        _check_stored(store, len(appends))
    return rate(len(appends), seconds)


@contextmanager
def _prepared(context: RunContext, count: int, path: str) -> Iterator[tuple[EventStore, list[_Append]]]:
    events = read_events(path, count)
    rows = event_rows(events, as_bytes=context.backend == "sqlite")
    with context.fresh_database() as url:
        store = EventStore(url)
        try:
            side = store.recorder.write_sql.side_uuid
            appends = []
            for event, row in zip(events, rows, strict=True):
                data, kind = event.get("data", {}), event["type"]
                stream = stream_id_for(event["customer"])
                appends.append(
                    _Append(
                        event=(row[0], store.driver_uuid(stream), row[2], row[3], row[4]),
                        event_id=event["event_id"],
                        stream=side(stream),
                        order=(kind, data["order_id"]) if kind in ("purchase", "refund") else None,
                        complaint=(kind, data["complaint_id"]) if kind.startswith("complaint_") else None,
                        raw=orjson.dumps(event),
                        stream_text=str(stream),
                    )
                )
            yield store, appends
        finally:
            store.close()


def _write(sql: WriteStatements, cursor: Any, batch: list[_Append], event_rows: list[tuple[Any, ...]] | None = None) -> None:
    """The statements of one transaction, as WriteTransaction orders them: every lookup queued before any is read.

    The events table gets the prepared rows, or event_rows when given.
    """
    queued = []
    for lookup, keys in (
        (sql.existing_event_ids, [a.event_id for a in batch]),
        (sql.stream_heads, list({a.event[1]: None for a in batch})),
    ):
        for chunk in batched(keys, 500):
            queued.append(_query(cursor, lookup(len(chunk)), chunk))
    for table, key, columns, wanted in (
        ("ledger_orders", "order_id", ("currency", "paid_minor", "refunded_minor"), [a.order for a in batch]),
        ("ledger_complaints", "complaint_id", ("status",), [a.complaint for a in batch]),
    ):
        keys = list({k[1] for k in wanted if k})
        for chunk in batched(keys, 500):
            queued.append(_query(cursor, sql.rows_by_key(table, key, columns, len(chunk)), chunk))
    queued.append(_query(cursor, sql.max_position, ()))
    for lookup_cursor in queued:
        lookup_cursor.fetchall()
    cursor.executemany(sql.insert_event, event_rows or [a.event for a in batch])
    cursor.executemany(sql.insert_event_id, [(a.event_id, a.event[0], False, None, a.event_id[:32]) for a in batch])
    created, updated = _created_and_updated([(a.stream, a.order) for a in batch if a.order], "purchase")
    cursor.executemany(sql.insert_order, [(s, k, "EUR", 100, 0) for s, k in created])
    cursor.executemany(sql.update_order, [(100, 10, s, k) for s, k in updated])
    created, updated = _created_and_updated([(a.stream, a.complaint) for a in batch if a.complaint], "complaint_filed")
    cursor.executemany(sql.insert_complaint, [(s, k, "open") for s, k in created])
    cursor.executemany(sql.update_complaint, [("resolved", s, k) for s, k in updated])


def _query(cursor: Any, sql: str, parameters: Any) -> Any:
    lookup_cursor = cursor.connection.cursor()
    lookup_cursor.execute(sql, parameters)
    return lookup_cursor


def _created_and_updated(keyed: list[tuple[Any, tuple[str, str]]], creating: str) -> tuple[set[Any], set[Any]]:
    """Split (stream, key) pairs into those the batch creates (one insert each) and those it updates."""
    created = {(stream, key) for stream, (kind, key) in keyed if kind == creating}
    return created, {(stream, key) for stream, (_kind, key) in keyed} - created


def batched(items: list[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of up to size items (itertools.batched is Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _check_stored(store: EventStore, expected: int) -> None:
    stored = store.max_position()
    check(stored == expected, f"stored {stored} events of {expected}")
