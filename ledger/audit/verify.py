"""Verify the raw stored log: every stream's hash chain, gapless positions, and every checkpoint and digest."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from typing import Any

from sqlalchemy import text

from ledger.audit.chain import GENESIS_ROOT, checkpoints
from ledger.audit.event_check import (
    STREAM_START,
    StreamWalk,
    VerificationFailedError,
    check_event,
    contiguous_pages,
)
from ledger.store import EventStore

__all__ = ["Digest", "VerificationFailedError", "VerificationReport", "verify_log"]

# From this many events, a second process checks the log's second half: a verify is
# CPU-bound (reading rows and hashing), and the halves are independent but for the
# chains crossing the middle and the rolling root, which this process completes.
TWO_PROCESSES_FROM = 200_000
# This process also extends the root over the second half once it is back (about a sixth of
# the cost of checking it), so it takes a little less than half of the log.
FIRST_HALF = 0.45


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

    @property
    def rate(self) -> float:
        """Return events checked per second."""
        return self.events / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class _Part:
    """What a second process found in the log's second half (see ``StreamWalk``)."""

    new_streams: int  # streams whose first event is in the second half
    joins: dict[Any, tuple[int, int, bytes]]
    hashes: bytes  # the events' hashes, 64 hex digits each, in log order, up to a failure
    failure: VerificationFailedError | None


def verify_log(store: EventStore, digest: Digest | None = None) -> VerificationReport:
    """Check every stored event from the raw rows; raise VerificationFailedError at the first bad one."""
    started = time.perf_counter()
    expected_roots = {position: root for position, root, _ in checkpoints(store)}
    if digest is not None:
        known = expected_roots.get(digest.position)
        if known is not None and known != digest.root:
            raise VerificationFailedError(digest.position, "digest mismatch: the stored checkpoint differs from the digest")
        expected_roots[digest.position] = digest.root
    expected_at = {position: root.encode() for position, root in expected_roots.items()}
    last = store.max_position()
    middle = int(last * FIRST_HALF) if last >= TWO_PROCESSES_FROM and _shareable(store) else last
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
        if second is not None:
            part = second.get()
            root = _join(walk, part, middle, root, expected_at)
            streams = part.new_streams
    missing = [p for p in expected_roots if p > last]
    if missing:
        raise VerificationFailedError(last + 1, f"event missing: the log ends at {last} but a digest covers {max(missing)}")
    return VerificationReport(
        events=last,
        streams=len(walk.heads) + streams,
        checkpoints=len(expected_roots),
        digest_position=digest.position if digest else None,
        seconds=time.perf_counter() - started,
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


def _shareable(store: EventStore) -> bool:
    """Whether a second process would help: another core, and a database it can open (not in-memory SQLite)."""
    database = store.engine.url.database
    in_memory = not store.is_postgres and (database in (None, "", ":memory:") or "mode=memory" in str(store.engine.url))
    return (os.cpu_count() or 1) > 1 and not in_memory


@contextmanager
def _second_half(store: EventStore, middle: int, last: int) -> Iterator[AsyncResult[_Part] | None]:
    """Check positions after ``middle`` in another process meanwhile, when there are any; stop it on the way out."""
    if middle == last:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")  # fork starts in milliseconds
    url = store.engine.url.render_as_string(hide_password=False)
    with context.Pool(1) as pool:  # leaving terminates it: a failure in the first half need not wait for the second
        yield pool.apply_async(_check_part, (url, middle, last))


def _check_part(url: str, after: int, until: int) -> _Part:
    """Check positions after..until (in the second process)."""
    store = EventStore(url)
    walk = StreamWalk(store, joining=True)
    hashes: list[bytes] = []
    failure = None
    try:
        with _no_collections():
            for page in contiguous_pages(store, after, until):
                walk.check(page, hashes)
    except VerificationFailedError as error:
        failure = error
    finally:
        store.close()
    return _Part(len(walk.heads) - len(walk.joins), walk.joins, b"".join(hashes), failure)


def _join(walk: StreamWalk, part: _Part, middle: int, root: bytes, expected_at: dict[int, bytes]) -> bytes:
    """Link the second half's streams to the first half's heads, extend the root over it; raise at the first bad event."""
    failure_at = part.failure.position if part.failure else middle + len(part.hashes) // 64 + 1
    unlinked = [
        (position, stream_id)
        for stream_id, (position, version, prev) in part.joins.items()
        if position < failure_at and walk.heads.get(stream_id, (0, b""))[:2] != (version - 1, prev)
    ]
    first_bad = min(unlinked, default=None)
    hashes = part.hashes[: 64 * ((first_bad[0] if first_bad else failure_at) - middle - 1)]
    root = _extend_root(root, middle + 1, [hashes[i : i + 64] for i in range(0, len(hashes), 64)], expected_at)
    if first_bad is not None:
        position, stream_id = first_bad
        check_event(walk.store, _row_at(walk.store, position), walk.heads.get(stream_id) or STREAM_START)
        raise VerificationFailedError(position, "order changed: the stream does not link to the first half's events")
    if part.failure is not None:
        raise part.failure
    return root


def _row_at(store: EventStore, position: int) -> Any:
    """Return the raw row at a position, as the driver returns it."""
    sql = f"SELECT id, originator_id, originator_version, topic, state FROM {store.events_table.name} WHERE id = :position"
    with store.engine.connect() as connection:
        return tuple(connection.execute(text(sql), {"position": position}).one())
