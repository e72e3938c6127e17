"""Verify the raw stored log: every stream's hash chain, gapless positions, and every checkpoint and digest."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.audit.chain import GENESIS_ROOT, checkpoints, driver_pages, next_root
from ledger.errors import ExitCode, LedgerError
from ledger.recorded import GENESIS_HASH, TOPIC_BY_TYPE, hash_content, stream_id_for
from ledger.store import EventStore


class VerificationFailedError(LedgerError):
    """The stored log is not what was written: names the first bad event and what is wrong."""

    exit_code = ExitCode.VERIFICATION_FAILED

    def __init__(self, position: int, problem: str, customer: str | None = None, event_id: str | None = None):
        self.position, self.problem, self.customer, self.event_id = position, problem, customer, event_id
        where = (
            f"position {position}"
            + (f", customer {customer!r}" if customer else "")
            + (f", event {event_id}" if event_id else "")
        )
        super().__init__(f"verification failed at {where}: {problem}")


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


def _contiguous_rows(store: EventStore) -> Iterator[Any]:
    """Yield the raw rows in log order, having checked each page's positions run on from the last without a gap.

    Positions are unique and sorted, so a page is gapless when its first and last positions are.
    """
    position = 0
    for page in driver_pages(store):
        if page[0][0] != position + 1 or page[-1][0] != position + len(page):
            gap = next(i for i, row in enumerate(page) if row[0] != position + 1 + i)
            raise VerificationFailedError(
                position + gap + 1, f"event missing: the log jumps from position {position + gap} to {page[gap][0]}"
            )
        yield from page
        position += len(page)


def verify_log(store: EventStore, digest: Digest | None = None) -> VerificationReport:
    """Check every stored event from the raw rows; raise VerificationFailedError at the first bad one."""
    started = time.perf_counter()
    expected_roots = {position: root for position, root, _ in checkpoints(store)}
    if digest is not None:
        known = expected_roots.get(digest.position)
        if known is not None and known != digest.root:
            raise VerificationFailedError(digest.position, "digest mismatch: the stored checkpoint differs from the digest")
        expected_roots[digest.position] = digest.root
    heads: dict[Any, tuple[int, str, int, str]] = {}  # stream -> version, hash and position of its last event, stream text
    stream_of: dict[str, Any] = {}  # customer -> stream id in the driver's form
    root = GENESIS_ROOT
    position = 0
    for row_id, stream_id, version, topic, raw_state in _contiguous_rows(store):
        position = row_id
        try:
            state = orjson.loads(raw_state)
            customer, event_id, stored_hash = state["customer"], state["event_id"], state.pop("hash")
            prev_hash, kind = state.get("prev_hash"), state.get("type")
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise VerificationFailedError(position, "content changed: the stored event is not readable") from None
        expected_stream = stream_of.get(customer)
        if expected_stream is None:
            expected_stream = stream_of[customer] = store.driver_uuid(stream_id_for(customer))
        if expected_stream != stream_id:
            raise VerificationFailedError(
                position, "foreign event inserted: stream does not belong to its customer", customer, event_id
            )
        head = heads.get(stream_id)
        last_version, last_hash, last_position, stream_text = head or (0, GENESIS_HASH, 0, str(stream_id_for(customer)))
        if version > last_version + 1:
            raise VerificationFailedError(
                position, f"event missing: stream version {last_version + 1} is absent", customer, event_id
            )
        if version <= last_version:
            problem = f"order changed: stream version {version} after version {last_version}"
            raise VerificationFailedError(position, problem, customer, event_id)
        if prev_hash != last_hash:
            after = f"position {last_position}" if last_position else "the stream's start"
            problem = f"foreign event inserted or order changed: the chain does not link to {after}"
            raise VerificationFailedError(position, problem, customer, event_id)
        # Checked after the stream's order, so that a reordered stream says so; the position
        # is hashed too, so an event moved to another place in the log fails here.
        if hash_content(state, position, stream_text, version) != stored_hash or TOPIC_BY_TYPE.get(kind) != topic:
            problem = "content changed or event moved: the hash does not match this event at this position"
            raise VerificationFailedError(position, problem, customer, event_id)
        heads[stream_id] = (version, stored_hash, position, stream_text)
        root = next_root(root, position, stored_hash)
        expected = expected_roots.get(position)
        if expected is not None and expected != root:
            raise VerificationFailedError(position, "digest mismatch: the log up to here differs from a checkpoint or digest")
    missing = [p for p in expected_roots if p > position]
    if missing:
        raise VerificationFailedError(
            position + 1, f"event missing: the log ends at {position} but a digest covers {max(missing)}"
        )
    return VerificationReport(
        events=position,
        streams=len(heads),
        checkpoints=len(expected_roots),
        digest_position=digest.position if digest else None,
        seconds=time.perf_counter() - started,
    )
