"""Import events from JSON Lines or CSV files, batch by batch, idempotently."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from commands.errors import InvalidEventError
from commands.events import EVENT_TYPES
from commands.inputs import EventInput
from commands.records import NewEvent
from ledger.results import AppendResult, ImportSummary, LineProblem
from ledger.storage.store import EventStore
from ledger.writing import BatchRejectedError, append_batch

BATCH_SIZE = 1000
ENVELOPE_COLUMNS = frozenset(EventInput.model_fields) - {"data"}
# Lines without an event_id get one derived from their content, so that
# importing the same file twice stores nothing new. Never change this key.
IMPORT_KEY = b"ledger-import-v1"

FileFormat = Literal["jsonl", "csv"]


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    raw: dict[str, Any] | None
    problem: str | None = None


def detect_format(name: str) -> FileFormat:
    """Guess the format from a file name (``-`` and unknown endings mean JSON Lines)."""
    return "csv" if name.lower().endswith(".csv") else "jsonl"


# Validates one raw line (the application's ``Ledger.parse``): fills in the configuration's defaults.
ParseLine = Callable[..., NewEvent]


def import_events(
    store: EventStore,
    parse: ParseLine,
    source: IO[bytes],
    *,
    file_format: FileFormat = "jsonl",
    csv_type: str | None = None,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every line of source; invalid lines are reported and store nothing.

    Without strict, each batch is its own transaction. With strict, the whole
    file is one transaction that is rolled back if any line is rejected.
    """
    if on_progress is not None:
        source = _CountingReader(source, on_progress)  # type: ignore[assignment]
    lines = _read_csv(source, csv_type) if file_format == "csv" else _read_jsonl(source)
    summary = ImportSummary()
    if strict:
        try:
            with store.write() as transaction:
                for batch in _batches(parse, lines, summary, batch_size):
                    if not summary.problems:
                        _apply(transaction, batch, summary, strict=True)
                if summary.problems:
                    raise _RollbackError
        except _RollbackError:
            summary.stored = summary.duplicates = 0
        return summary
    for batch in _batches(parse, lines, summary, batch_size):
        with store.write() as transaction:
            _apply(transaction, batch, summary, strict=False)
    return summary


def import_source(
    store: EventStore,
    parse: ParseLine,
    source: str | Path | IO[bytes],
    *,
    file_format: FileFormat | None = None,
    **options: Any,
) -> ImportSummary:
    """Import a file by path (its format from its name unless given) or a binary stream (JSON Lines unless given)."""
    if isinstance(source, str | Path):
        with open(source, "rb") as stream:
            return import_events(store, parse, stream, file_format=file_format or detect_format(str(source)), **options)
    return import_events(store, parse, source, file_format=file_format or "jsonl", **options)


class _CountingReader(io.BufferedIOBase):
    """A binary reader that reports the bytes read through it, for progress bars.

    A buffered reader, because a CSV import reads it through ``io.TextIOWrapper``.
    """

    def __init__(self, source: IO[bytes], on_progress: Callable[[int], None]):
        super().__init__()
        self.source = source
        self.on_progress = on_progress

    def __iter__(self) -> Iterator[bytes]:
        for line in self.source:
            self.on_progress(len(line))
            yield line

    def read(self, size: int | None = -1) -> bytes:
        chunk = self.source.read(-1 if size is None else size)
        self.on_progress(len(chunk))
        return chunk

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self.source.closed


class _RollbackError(Exception):
    """Raised inside a strict import's transaction to store nothing."""


def _apply(transaction: Any, batch: list[tuple[int, NewEvent]], summary: ImportSummary, *, strict: bool) -> None:
    try:
        result: AppendResult = append_batch(transaction, [event for _, event in batch], strict=strict)
    except BatchRejectedError as error:
        summary.problems.append(LineProblem(batch[error.rejection.index][0], str(error)))
        return
    summary.stored += len(result.stored)
    summary.duplicates += len(result.duplicates)
    for rejection in result.rejected:
        summary.problems.append(LineProblem(batch[rejection.index][0], str(rejection.error)))


def _batches(
    parse: ParseLine,
    lines: Iterator[_Line],
    summary: ImportSummary,
    batch_size: int,
) -> Iterator[list[tuple[int, NewEvent]]]:
    batch: list[tuple[int, NewEvent]] = []
    for line in lines:
        if line.raw is None:
            summary.problems.append(LineProblem(line.number, line.problem or "unreadable line"))
            continue
        try:
            default_id = None if line.raw.get("event_id") else _content_event_id(line.raw)
            event = parse(line.raw, require_time=True, default_event_id=default_id)
        except InvalidEventError as error:
            summary.problems.append(LineProblem(line.number, str(error)))
            continue
        batch.append((line.number, event))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _content_event_id(raw: dict[str, Any]) -> str:
    content = {k: v for k, v in raw.items() if k != "event_id"}
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON-native: parsing will reject the line anyway
        return str(uuid.uuid4())
    return "import-" + hashlib.blake2b(canonical, digest_size=16, key=IMPORT_KEY).hexdigest()


def _read_jsonl(source: IO[bytes]) -> Iterator[_Line]:
    for number, raw_line in enumerate(source, start=1):
        if not raw_line.strip():
            continue
        try:
            text = raw_line.decode("utf-8")
        except UnicodeDecodeError as error:
            yield _Line(number, None, f"not valid UTF-8 (byte {error.start})")
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            yield _Line(number, None, f"not valid JSON: {error}")
            continue
        if not isinstance(value, dict):
            yield _Line(number, None, f"expected a JSON object, got {type(value).__name__}")
            continue
        yield _Line(number, value)


def _read_csv(source: IO[bytes], csv_type: str | None) -> Iterator[_Line]:
    text = io.TextIOWrapper(source, encoding="utf-8", newline="")
    try:
        reader = csv.DictReader(text)
        header = reader.fieldnames or []
        if csv_type is None and "type" not in header:
            yield _Line(1, None, f"type: no 'type' column; name the type with --type ({', '.join(EVENT_TYPES)})")
            return
        for row in reader:
            yield _Line(reader.line_num, _csv_row_to_event(row, csv_type))
    except UnicodeDecodeError as error:
        yield _Line(reader.line_num + 1 if "reader" in locals() else 1, None, f"not valid UTF-8 (byte {error.start})")
    except csv.Error as error:
        yield _Line(reader.line_num, None, f"malformed CSV: {error}")
    finally:
        text.detach()


def _csv_row_to_event(row: dict[str | None, Any], csv_type: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"data": {}}
    if csv_type is not None:
        event["type"] = csv_type
    for column, value in row.items():
        if column is None:  # more cells than header columns
            event.setdefault("data", {})["<extra cells>"] = value
            continue
        if value is None or value == "":
            continue
        name = column.strip()
        if name in ENVELOPE_COLUMNS and not (name == "type" and csv_type is not None and value == csv_type):
            event[name] = value
            continue
        name = name.removeprefix("data.")
        target = event["data"]
        # Dotted names fill mappings: attributes.tier=gold -> {"attributes": {"tier": "gold"}}.
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return event
