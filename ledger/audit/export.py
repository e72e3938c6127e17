"""Audit export: raw stored events in log order, streamed, ending with a digest of the export itself."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

import orjson

from commands.records import stream_id_for
from ledger.audit.digest import compute_digest
from ledger.storage.log_reader import as_uuid, raw_pages
from ledger.storage.store import EventStore

ExportFormat = Literal["jsonl", "csv"]
EXPORT_FORMAT = "ledger-export/1"
CORRECTION_TYPES = frozenset({"event_voided", "event_corrected"})
CSV_COLUMNS = ["position", "stream", "version", "type", "event_id", "customer", "occurred_at", "recorded_at",
               "source", "actor", "correlation_id", "data", "prev_hash", "hash"]  # fmt: skip


def export_events(
    store: EventStore,
    *,
    customer: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    file_format: ExportFormat = "jsonl",
) -> Iterator[bytes]:
    """Yield the export line by line; the last line is the export's digest (see README, "Verifying an export")."""
    digest = hashlib.sha256()
    count = 0
    # The log digest comes first and bounds the export, so that rows appended meanwhile are not half in it.
    # It is computed, not stored: an export writes nothing (only ``digest`` stores a checkpoint).
    log = compute_digest(store)
    stream = None if customer is None else store.driver_uuid(stream_id_for(customer))
    exported: set[str] = set()  # with a time window, the corrections of exported events are exported too
    header = _csv_line(CSV_COLUMNS) if file_format == "csv" else None
    if header is not None:
        digest.update(header)
        yield header
    for position, stream_id, version, _topic, raw_state in _stored_rows(store, log.position, stream):
        raw = bytes(raw_state)
        state = orjson.loads(raw)
        occurred = datetime.fromisoformat(state["occurred_at"])
        in_window = not ((occurred_from and occurred < occurred_from) or (occurred_to and occurred > occurred_to))
        corrects_exported = state["type"] in CORRECTION_TYPES and state["data"]["target_event_id"] in exported
        if not (in_window or corrects_exported):
            continue
        if occurred_from or occurred_to:
            exported.add(state["event_id"])
        line = _line(position, str(as_uuid(stream_id)), version, raw, state, file_format)
        digest.update(line)
        count += 1
        yield line
    trailer = {
        "format": EXPORT_FORMAT,
        "events": count,
        "sha256": digest.hexdigest(),
        "log_position": log.position,
        "log_root": log.root,
    }
    yield (b"# " if file_format == "csv" else b"") + json.dumps({"export": trailer}).encode() + b"\n"


def _stored_rows(store: EventStore, until: int, stream_id: Any) -> Iterator[Any]:
    """Yield the raw rows up to a position (of one stream, in the driver's form, if given), in log order."""
    with store.engine.connect() as connection:
        for page in raw_pages(store, connection, 0, until, stream_id=stream_id):
            yield from page


def _line(position: int, stream: str, version: int, raw: bytes, state: dict[str, Any], file_format: ExportFormat) -> bytes:
    if file_format == "jsonl":
        # The state's bytes exactly as stored, last in the line: format-2 hashes are over those bytes.
        return b'{"position":%d,"stream":"%s","version":%d,"state":%s}\n' % (position, stream.encode(), version, raw)
    data = orjson.dumps(state["data"], option=orjson.OPT_SORT_KEYS).decode()
    envelope = [
        state.get(k) or ""
        for k in ("type", "event_id", "customer", "occurred_at", "recorded_at", "source", "actor", "correlation_id")
    ]
    return _csv_line([position, stream, version, *envelope, data, state["prev_hash"], state["hash"]])


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode()
