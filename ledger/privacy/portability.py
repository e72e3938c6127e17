"""A customer's data, portable: every event of their stream, decrypted, as JSON and CSV per event type, with a manifest.

The manifest lists each event's position, stream version and hashes as stored, and the log's
position and root hash when the export was made, so that the customer or a regulator can
check the export against the ledger's audit export and a published digest (docs/privacy.md).
After an erasure the personal fields are left out: the export holds the receipt and the
non-personal facts only.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from commands.errors import CustomerNotFoundError, InvalidArgumentError
from commands.events import EVENT_TYPES
from commands.records import RecordedEvent
from commands.timeutil import format_utc
from ledger.audit.digest import compute_digest
from ledger.privacy.reveal import Reveal
from ledger.storage.store import EventStore

MANIFEST_FORMAT = "ledger-customer-export/1"
MANIFEST_FIELDS = ("position", "version", "event_id", "type", "prev_hash", "hash")
ENVELOPE = ("position", "version", "event_id", "type", "customer", "occurred_at", "recorded_at", "source", "actor",
            "correlation_id")  # fmt: skip


def _event_record(event: RecordedEvent, erased: bool) -> dict[str, Any]:
    data = event.data.model_dump(mode="json", exclude_none=True)
    if erased:
        for name in event.data.personal_fields:
            data.pop(name, None)
        if isinstance(data.get("changes"), dict):
            personal = set().union(*(cls.personal_fields for cls in EVENT_TYPES.values()))
            data["changes"] = {k: v for k, v in data["changes"].items() if k not in personal}
    record: dict[str, Any] = {name: getattr(event, name) for name in ENVELOPE}
    record["occurred_at"], record["recorded_at"] = format_utc(event.occurred_at), format_utc(event.recorded_at)
    record["data"] = data
    return record


def _csv(records: list[dict[str, Any]]) -> str:
    fields = sorted({name for r in records for name in r["data"]})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*ENVELOPE, *fields])
    for r in records:
        values = [r["data"].get(name) for name in fields]
        cells = [json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else ("" if v is None else v) for v in values]
        writer.writerow([*("" if r[name] is None else r[name] for name in ENVELOPE), *cells])
    return buffer.getvalue()


def export_customer(store: EventStore, customer: str, directory: Path) -> tuple[int, list[str], bool, int]:
    """Write the customer's export into a new (or empty) directory; return (events, files, erased, log position)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InvalidArgumentError(f"directory: {str(directory)!r} exists and is not an empty directory")
    # The log's head first: the export covers the events up to it, even if more are appended meanwhile.
    log = compute_digest(store)
    reveal = Reveal(store.engine, store.keys, personal=True)
    events = [e for e in store.stream(customer, reveal) if e.position <= log.position]
    if not events:
        raise CustomerNotFoundError(customer)
    erased = reveal.keys.of(customer)[1]
    records = [_event_record(e, erased) for e in events]
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {"events.json": json.dumps(records, ensure_ascii=False, indent=2) + "\n"}
    for kind in sorted({r["type"] for r in records}):
        files[f"{kind}.csv"] = _csv([r for r in records if r["type"] == kind])
    manifest = {
        "format": MANIFEST_FORMAT,
        "customer": customer,
        "stream": str(events[0].stream_id),
        "exported_at": format_utc(datetime.now(UTC)),
        "erased": erased,
        "events": [{name: getattr(e, name) for name in MANIFEST_FIELDS} for e in events],
        "log_position": log.position,
        "log_root": log.root,
    }
    files["manifest.json"] = json.dumps(manifest, indent=2) + "\n"
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return len(events), sorted(files), erased, log.position
