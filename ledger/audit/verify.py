"""Verify the raw stored log (every stream's hash chain, gapless positions, every checkpoint and digest), then the side tables."""

from __future__ import annotations

import gc
import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any

from ledger.audit.chain import GENESIS_ROOT, checkpoints
from ledger.audit.event_check import (
    STREAM_START,
    StreamWalk,
    VerificationFailedError,
    check_stored_event,
    contiguous_pages,
)
from ledger.audit.side_tables_check import check_side_tables
from ledger.second_process import SecondProcess, as_result, second_process
from ledger.storage.log_reader import raw_row_at
from ledger.storage.store import EventStore

__all__ = ["Digest", "VerificationFailedError", "VerificationReport", "verify_log"]

# From this many events, a second process checks the log's second part: a verify is
# CPU-bound (reading rows, hashing, decoding), and the parts are independent but for the
# chains crossing the middle and the rolling root, which this process completes. Forking
# and opening the store costs the second process milliseconds.
TWO_PROCESSES_FROM = 10_000
# This process checks the side tables (``check_side_tables``, which reads and decodes the
# whole log again, and costs more than checking the chains of all of it) while the second
# process checks the chains; it then extends the root over the hashes the second process
# sent (about a fifth of the cost of checking them). So its own part of the chains is the
# least: none but the scan's start.
FIRST_PART = 0.0
SECOND_PROCESS = "verify's second process"


@dataclass(frozen=True, slots=True)
class Digest:
    """What an auditor keeps outside the database: the log's position and root hash at a moment."""

    position: int
    root: str


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """A successful verification: how much was checked, how fast."""

    events: int
    streams: int
    checkpoints: int
    digest_position: int | None
    seconds: float
    # Rows of ledger_event_ids, ledger_orders and ledger_complaints found to be what the log gives.
    side_table_rows: int = 0

    @property
    def rate(self) -> float:
        """Return events checked per second."""
        return self.events / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class _Part:
    """What a second process found in the log's second half, sent after its pages' hashes (see ``StreamWalk``)."""

    new_streams: int  # streams whose first event is in the second half
    joins: dict[Any, tuple[int, int, bytes]]
    failure: VerificationFailedError | None


def verify_log(store: EventStore, digest: Digest | None = None) -> VerificationReport:
    """Check every stored event from the raw rows, then the side tables; raise VerificationFailedError at the first bad one."""
    started = time.perf_counter()
    expected_roots = {position: root for position, root, _ in checkpoints(store)}
    if digest is not None:
        known = expected_roots.get(digest.position)
        if known is not None and known != digest.root:
            raise VerificationFailedError(digest.position, "digest mismatch: the stored checkpoint differs from the digest")
        expected_roots[digest.position] = digest.root
    expected_at = {position: root.encode() for position, root in expected_roots.items()}
    last = store.max_position()
    middle = int(last * FIRST_PART) if last >= TWO_PROCESSES_FROM and store.shareable() else last
    walk = StreamWalk(store)
    root = GENESIS_ROOT.encode()
    streams = 0
    with _no_collections(), _second_half(store, middle, last) as second:
        for page in contiguous_pages(store, 0, middle):
            hashes: list[bytes] = []
            try:
                walk.check(page, hashes)
            finally:  # also up to a bad event: a checkpoint that fails before it is the first failure
                root = _extend_root(root, page[0][0], hashes, expected_at)
        side = side_failure = None
        if second is not None:
            try:  # meanwhile: a bad log fails there too, and is to be said first
                side = check_side_tables(store)
            except Exception as error:
                side_failure = error
            part, root_failure = _extend_root_over(second, middle, root, expected_at)
            _join(walk, part, root_failure)
            streams = part.new_streams
        missing = [p for p in expected_roots if p > last]
        if missing:
            raise VerificationFailedError(last + 1, f"event missing: the log ends at {last} but a digest covers {max(missing)}")
        if side_failure is not None:
            raise side_failure
        if side is None:
            side = check_side_tables(store)
    return VerificationReport(
        events=last,
        streams=len(walk.heads) + streams,
        checkpoints=len(expected_roots),
        digest_position=digest.position if digest else None,
        seconds=time.perf_counter() - started,
        side_table_rows=side.event_ids + side.orders + side.complaints + side.identifiers,
    )


def _extend_root(root: bytes, first: int, hashes: list[bytes], expected_at: dict[int, bytes]) -> bytes:
    """Extend the rolling root (``next_root``, on bytes) by events from position ``first`` on; check checkpoints."""
    sha256 = hashlib.sha256
    for position, event_hash in enumerate(hashes, first):
        root = sha256(b"%s:%d:%s" % (root, position, event_hash)).hexdigest().encode()
        expected = expected_at.get(position)
        if expected is not None and expected != root:
            raise VerificationFailedError(position, "digest mismatch: the log up to here differs from a checkpoint or digest")
    return root


@contextmanager
def _no_collections() -> Iterator[None]:
    """Pause the garbage collector: a walk makes no reference cycles, and collections during it only
    rescan the growing table of stream heads (about 10% of a verify of 1,000,000 events)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _second_half(store: EventStore, middle: int, last: int) -> Iterator[SecondProcess | None]:
    """Check positions after ``middle`` in another process meanwhile, when there are any; stop it on the way out.

    It sends each page's hashes as soon as they are checked, through a queue whose feeding
    thread buffers them, so that it never waits for this process to read.
    """
    if middle == last:
        yield None
        return
    url = store.engine.url.render_as_string(hide_password=False)
    with second_process(SECOND_PROCESS, _check_part, url, middle, last) as second:
        yield second


def _check_part(url: str, after: int, until: int, results: Queue[bytes | _Part | Exception]) -> None:
    """Check positions after..until (in the second process), sending each page's hashes, then the ``_Part``."""
    try:
        store = EventStore(url)
        walk = StreamWalk(store, joining=True)
        failure = None
        try:
            with _no_collections():
                for page in contiguous_pages(store, after, until):
                    hashes: list[bytes] = []
                    try:
                        walk.check(page, hashes)
                    finally:  # the hashes up to a failure
                        results.put(b"".join(hashes))
        except VerificationFailedError as error:
            failure = error
        finally:
            store.close()
        results.put(_Part(len(walk.heads) - len(walk.joins), walk.joins, failure))
    except Exception as error:  # anything else ends the verify in the first process
        results.put(as_result(SECOND_PROCESS, error))


def _extend_root_over(
    second: SecondProcess, middle: int, root: bytes, expected_at: dict[int, bytes]
) -> tuple[_Part, VerificationFailedError | None]:
    """Extend the root over the second half's hashes as they come; return its ``_Part`` and any checkpoint failure."""
    position, root_failure = middle + 1, None
    while True:
        item = second.next_result()
        if isinstance(item, _Part):
            return item, root_failure
        if isinstance(item, Exception):
            raise item
        if root_failure is None:
            try:
                root = _extend_root(root, position, [item[i : i + 64] for i in range(0, len(item), 64)], expected_at)
            except VerificationFailedError as error:
                root_failure = error  # reported if no event before it fails
        position += len(item) // 64


def _join(walk: StreamWalk, part: _Part, root_failure: VerificationFailedError | None) -> None:
    """Link the second half's streams to the first half's heads; raise the first failure of the second half, if any."""
    # Joins that matter: before the second process's failure, and up to a checkpoint's failure
    # (at the same position, the event's own failure comes first).
    limit = part.failure.position - 1 if part.failure else math.inf
    if root_failure is not None:
        limit = min(limit, root_failure.position)
    unlinked = [
        (position, stream_id)
        for stream_id, (position, version, prev) in part.joins.items()
        if position <= limit and walk.heads.get(stream_id, (0, b""))[:2] != (version - 1, prev)
    ]
    if unlinked:
        position, stream_id = min(unlinked)
        with walk.store.engine.connect() as connection:
            row = raw_row_at(walk.store, connection, position)
        check_stored_event(walk.store, row, walk.heads.get(stream_id) or STREAM_START)
        raise VerificationFailedError(position, "order changed: the stream does not link to the first half's events")
    failures = [f for f in (part.failure, root_failure) if f is not None]
    if failures:
        raise min(failures, key=lambda f: f.position)
