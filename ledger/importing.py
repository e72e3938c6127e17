"""Import events from JSON Lines or CSV files, batch by batch, idempotently.

An import that fails part-way (the database goes away, the disk fills, Ctrl-C) has
committed whole batches only: the error it raises says how many events it stored and
the last line it got through, and importing the same file again completes it, since
lines already stored are skipped as duplicates.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from commands.errors import InvalidEventError, LedgerError
from commands.records import NewEvent
from ledger.errors import ImportIncompleteError, ImportInterruptedError
from ledger.import_files import FileFormat, Line, detect_format, read_csv, read_jsonl
from ledger.results import ImportSummary, LineProblem
from ledger.storage.store import EventStore
from ledger.storage.write_transaction import WriteTransaction
from ledger.writing import BatchRejectedError, import_batch

__all__ = ["BATCH_SIZE", "FileFormat", "detect_format", "import_events", "import_source"]

# Events per transaction: a commit writes every page the transaction dirtied, and pages shared by
# many events are written once. Each transaction is checked and recorded in chunks of CHECK_SIZE.
BATCH_SIZE = 10_000
CHECK_SIZE = 1000
# Lines without an event_id get one derived from their content, so that
# importing the same file twice stores nothing new. Never change this key.
IMPORT_KEY = b"ledger-import-v1"

# Validates one raw line (the application's ``Ledger.parse``): fills in the configuration's defaults.
ParseLine = Callable[..., NewEvent]


def import_events(
    store: EventStore,
    parse: ParseLine,
    source: IO[bytes],
    *,
    file_format: FileFormat = "jsonl",
    csv_type: str | None = None,
    delimiter: str | None = None,
    strict: bool = False,
    max_errors: int | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every line of source; invalid lines are reported and store nothing.

    Without strict, each batch (batch_size events) is its own transaction. With strict, the whole
    file is one transaction that is rolled back if any line is rejected. With
    max_errors, reading stops at that many rejected lines (``stopped_early``).
    Raises ImportIncompleteError or ImportInterruptedError with what was stored.
    """
    if on_progress is not None:
        source = _CountingReader(source, on_progress)  # type: ignore[assignment]
    lines = read_csv(source, csv_type, delimiter) if file_format == "csv" else read_jsonl(source)
    summary = ImportSummary()
    committed = ImportSummary()  # what the batches committed so far hold, for a failure's report
    chunks = _batches(parse, lines, summary, min(batch_size, CHECK_SIZE), max_errors)
    try:
        with store.bulk_writes():
            if strict:
                _import_strict(store, chunks, summary, max_errors)
                return summary
            for chunk in chunks:
                with store.write() as transaction:
                    last_line = _fill_transaction(transaction, chunk, chunks, summary, batch_size, max_errors)
                committed = ImportSummary(
                    stored=summary.stored, duplicates=summary.duplicates, problems=list(summary.problems), last_line=last_line
                )
                if max_errors is not None and summary.rejected >= max_errors:
                    summary.stopped_early = True
                    break
    except KeyboardInterrupt:
        raise ImportInterruptedError(_after_failure(committed, strict)) from None
    except LedgerError as error:
        raise ImportIncompleteError(_after_failure(committed, strict), error) from error
    return summary


def _fill_transaction(
    transaction: WriteTransaction,
    chunk: list[tuple[int, NewEvent]],
    chunks: Iterator[list[tuple[int, NewEvent]]],
    summary: ImportSummary,
    batch_size: int,
    max_errors: int | None,
) -> int:
    """Apply chunks to one transaction until it holds batch_size events (or no more come); return its last line.

    Each chunk is checked and recorded on its own (its lookups and rules), so that a transaction of
    many thousand events holds no more of them in memory than one chunk.
    """
    size = 0
    while True:
        _apply(transaction, chunk, summary, strict=False)
        size += len(chunk)
        if size >= batch_size or (max_errors is not None and summary.rejected >= max_errors):
            return chunk[-1][0]
        following = next(chunks, None)
        if following is None:
            return chunk[-1][0]
        chunk = following


def _import_strict(
    store: EventStore, chunks: Iterator[list[tuple[int, NewEvent]]], summary: ImportSummary, max_errors: int | None
) -> None:
    try:
        with store.write() as transaction:
            for chunk in chunks:
                if not summary.problems:
                    _apply(transaction, chunk, summary, strict=True)
            if summary.problems:
                raise _RollbackError
    except _RollbackError:
        summary.stored = summary.duplicates = 0
        summary.stopped_early = max_errors is not None and summary.rejected >= max_errors


def _after_failure(committed: ImportSummary, strict: bool) -> ImportSummary:
    return ImportSummary() if strict else committed


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
    """A binary reader that reports the bytes read through it, for progress bars."""

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


def _apply(transaction: WriteTransaction, batch: list[tuple[int, NewEvent]], summary: ImportSummary, *, strict: bool) -> None:
    try:
        stored, result = import_batch(transaction, [event for _, event in batch], strict=strict)
    except BatchRejectedError as error:
        summary.problems.append(LineProblem(batch[error.rejection.index][0], str(error)))
        return
    summary.stored += stored
    summary.duplicates += len(result.duplicates)
    summary.last_line = batch[-1][0]
    for rejection in result.rejected:
        summary.problems.append(LineProblem(batch[rejection.index][0], str(rejection.error)))


def _batches(
    parse: ParseLine,
    lines: Iterator[Line],
    summary: ImportSummary,
    batch_size: int,
    max_errors: int | None,
) -> Iterator[list[tuple[int, NewEvent]]]:
    """Yield the valid lines in batches; stop reading once max_errors lines were rejected."""
    batch: list[tuple[int, NewEvent]] = []
    for line in lines:
        try:
            raw = line.text if line.text is not None else line.raw
            if raw is None:
                raise InvalidEventError([("", line.problem or "unreadable line")])
            event = parse(raw, require_time=True, default_event_id=_content_event_id)
        except InvalidEventError as error:
            summary.problems.append(LineProblem(line.number, str(error)))
            if max_errors is not None and summary.rejected >= max_errors:
                break
            continue
        batch.append((line.number, event))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
    if max_errors is not None and summary.rejected >= max_errors:
        summary.stopped_early = True


def _content_event_id(raw: dict[str, Any]) -> str:
    """Return the event id of a line without one, from its content (all but its event_id key)."""
    content = {k: v for k, v in raw.items() if k != "event_id"}
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON-native (or nested too deep): parsing rejects the line anyway
        return str(uuid.uuid4())
    return "import-" + hashlib.blake2b(canonical, digest_size=16, key=IMPORT_KEY).hexdigest()
