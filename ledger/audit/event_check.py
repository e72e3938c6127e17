"""Checking stored events page by page: positions, each stream's chain, each event's hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import orjson

from commands.errors import ExitCode, LedgerError
from commands.records import (
    CUSTOMER_NAMESPACE,
    GENESIS_HASH,
    HASH_FORMAT,
    SEAL_LENGTH,
    TOPIC_BY_TYPE,
    event_hash,
    format_1_hash,
    stream_id_for,
)
from ledger.storage.log_reader import raw_pages
from ledger.storage.store import EventStore

# A stream's head: version, hash, position of its last event, stream id as text, and the bytes its
# format-2 events start with (hash format, customer, '"type":"'; b"\0", which starts no JSON, otherwise).
Head = tuple[int, bytes, int, bytes, bytes]
_TYPE_MARKS = {topic: b'%s",' % wire_name.encode() for wire_name, topic in TOPIC_BY_TYPE.items()}
_NEVER = b"\0"
_FORMAT_2_START = b'{"hash_format":%d,"customer":"' % HASH_FORMAT
_CUSTOMER_END = b'","type":"'
_GENESIS = GENESIS_HASH.encode()
STREAM_START: Head = (0, _GENESIS, 0, b"", _NEVER)


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

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.position, self.problem, self.customer, self.event_id)


def contiguous_pages(store: EventStore, after: int, until: int) -> Iterator[Sequence[Any]]:
    """Yield the raw rows of positions after..until in pages, having checked that none is missing.

    Positions are unique and sorted, so a page is gapless when its first and last positions are.
    """
    position = after
    with store.scan_connection() as connection:
        for page in raw_pages(store, connection, after, until):
            _check_gapless(page, position)
            yield page
            position += len(page)
    if position != until:
        raise VerificationFailedError(position + 1, f"event missing: position {position + 1} is absent")


def _check_gapless(page: Sequence[Any], position: int) -> None:
    """Raise naming the first missing position if a page of rows does not follow ``position`` without a gap."""
    if page[0][0] != position + 1 or page[-1][0] != position + len(page):
        gap = next(i for i, row in enumerate(page) if row[0] != position + 1 + i)
        raise VerificationFailedError(
            position + gap + 1, f"event missing: the log jumps from position {position + gap} to {page[gap][0]}"
        )


class StreamWalk:
    """Checks pages of rows in log order and keeps each stream's head.

    A walk that starts mid-log (``joining``) cannot link a stream's first event there to
    the events before it: it accepts the event's ``prev_hash`` and notes it in ``joins``
    (stream -> position, version, prev_hash) for the walk of the earlier part to check.
    """

    def __init__(self, store: EventStore, *, joining: bool = False):
        self.store = store
        self.heads: dict[Any, Head] = {}
        self.joins: dict[Any, tuple[int, int, bytes]] = {}
        self.joining = joining

    def check(self, page: Sequence[Any], hashes: list[bytes]) -> None:
        """Check a page of rows, appending their hashes to ``hashes``; raise at the first bad event.

        Format-2 events are checked on their bytes (see ``seal``): the customer and type at
        the front, ``prev_hash`` and ``hash`` at the end, one sha256 over the rest. An event
        that fails this goes to ``check_stored_event``, which decodes it and names the problem (or
        accepts a format-1 event, or a customer key with escapes in its JSON).
        """
        heads, sha256, type_marks = self.heads, hashlib.sha256, _TYPE_MARKS
        # One loop with local names: this is the hot path of a verify, about as long as reading the rows.
        for row in page:
            position, stream_id, version, topic, raw = row
            head = heads.get(stream_id) or self._before_first(row)
            if (
                version == head[0] + 1
                and raw.startswith(head[4])
                and raw.startswith(type_marks.get(topic, _NEVER), len(head[4]))
                and raw[-140:-76] == head[1]
                and raw[-SEAL_LENGTH:]
                == b',"hash":"%s"}'
                % sha256(b"%d:%s:%d:%s" % (position, head[3], version, raw[:-SEAL_LENGTH])).hexdigest().encode()
            ):
                head = (version, raw[-66:-2], position, head[3], head[4])
            else:
                head = check_stored_event(self.store, row, head)
            heads[stream_id] = head
            hashes.append(head[1])

    def _before_first(self, row: Any) -> Head:
        """Return the head a stream's first event in this walk must follow."""
        position, stream_id, version, _topic, raw = row
        version_before, prev = 0, _GENESIS
        if self.joining and version > 1:
            try:
                prev = str(orjson.loads(raw)["prev_hash"]).encode()
            except (orjson.JSONDecodeError, KeyError, TypeError):
                prev = b""  # check_stored_event names what is wrong with it
            version_before = version - 1
            self.joins[stream_id] = (position, version, prev)
        start = _stream_start(raw, stream_id)
        return (version_before, prev, 0, *(start or STREAM_START[3:]))


def _stream_start(raw: bytes, stream_id: Any) -> tuple[bytes, bytes] | None:
    """Return the stream id as text and the bytes its events start with, when the event's bytes show it is its customer's.

    The stream id is ``uuid5(CUSTOMER_NAMESPACE, customer)``, computed here on the stored
    bytes; a key with escapes in its JSON is left to ``check_stored_event``.
    """
    if not raw.startswith(_FORMAT_2_START):
        return None
    end = raw.find(_CUSTOMER_END, len(_FORMAT_2_START))
    customer = raw[len(_FORMAT_2_START) : end]
    if end < 0 or b"\\" in customer:
        return None
    uuid = bytearray(hashlib.sha1(CUSTOMER_NAMESPACE.bytes + customer).digest()[:16])
    uuid[6] = uuid[6] & 0x0F | 0x50  # version 5
    uuid[8] = uuid[8] & 0x3F | 0x80  # RFC 4122 variant
    if (stream_id.bytes if isinstance(stream_id, UUID) else stream_id) != uuid:
        return None
    return str(UUID(bytes=bytes(uuid))).encode(), raw[: end + len(_CUSTOMER_END)]


def check_stored_event(store: EventStore, row: Any, head: Head) -> Head:
    """Check one event from its decoded state and return its stream's new head; raise naming what is wrong."""
    position, stream_id, version, topic, raw = row
    try:
        state = orjson.loads(raw)
        customer, event_id, stored_hash = state["customer"], state["event_id"], state.pop("hash")
        prev_hash, kind, hash_format = state.get("prev_hash"), state.get("type"), state.get("hash_format", 1)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise VerificationFailedError(position, "content changed: the stored event is not readable") from None
    stream = stream_id_for(customer)
    if store.driver_uuid(stream) != stream_id:
        raise VerificationFailedError(
            position, "foreign event inserted: stream does not belong to its customer", customer, event_id
        )
    last_version, last_hash, last_position = head[:3]
    if version > last_version + 1:
        raise VerificationFailedError(position, f"event missing: stream version {last_version + 1} is absent", customer, event_id)
    if version <= last_version:
        problem = f"order changed: stream version {version} after version {last_version}"
        raise VerificationFailedError(position, problem, customer, event_id)
    if not isinstance(prev_hash, str) or prev_hash.encode() != last_hash:
        after = f"position {last_position}" if last_position else "the stream's start"
        problem = f"foreign event inserted or order changed: the chain does not link to {after}"
        raise VerificationFailedError(position, problem, customer, event_id)
    # Checked after the stream's order, so that a reordered stream says so; the position
    # is hashed too, so an event moved to another place in the log fails here.
    if hash_format == HASH_FORMAT:
        sealed_as_written = raw[-SEAL_LENGTH:] == b',"hash":"%s"}' % str(stored_hash).encode()
        expected = event_hash(position, str(stream), version, raw[:-SEAL_LENGTH]) if sealed_as_written else None
    else:
        expected = format_1_hash(state, position, str(stream), version)
    if expected != stored_hash or TOPIC_BY_TYPE.get(kind) != topic:
        problem = "content changed or event moved: the hash does not match this event at this position"
        raise VerificationFailedError(position, problem, customer, event_id)
    start = _stream_start(raw, stream_id) if hash_format == HASH_FORMAT else None
    return (version, stored_hash.encode(), position, *(start or STREAM_START[3:]))
