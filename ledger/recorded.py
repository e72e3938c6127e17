"""Recorded events: the envelope plus data, their stored encoding and their hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

import orjson
from eventsourcing.persistence import Mapper, Notification, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

from ledger.events import EVENT_TYPES, EventData
from ledger.timeutil import format_utc

# Customer keys map to stream ids without a lookup; never change this namespace.
CUSTOMER_NAMESPACE = UUID("6f1c1a52-1d0b-4c8e-9a3e-0c6a2b1d9e47")
GENESIS_HASH = "0" * 64
HASH_FORMAT = 2
SEAL_LENGTH = len(b',"hash":"') + 64 + len(b'"}')  # what seal() appends to the unsealed state
TOPIC_BY_TYPE = {wire_name: get_topic(cls) for wire_name, cls in EVENT_TYPES.items()}


@lru_cache(maxsize=262_144)
def stream_id_for(customer: str) -> UUID:
    """Return the stream id of a customer key (deterministic, so services need no lookup)."""
    return uuid5(CUSTOMER_NAMESPACE, customer)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One immutable event as the ledger holds it."""

    position: int
    stream_id: UUID
    version: int
    event_id: str
    customer: str
    occurred_at: datetime
    recorded_at: datetime
    source: str | None
    actor: str | None
    correlation_id: str | None
    data: EventData
    prev_hash: str
    hash: str

    @property
    def type(self) -> str:
        """Return the event's wire name, e.g. ``purchase``."""
        return self.data.wire_name

    def to_json_dict(self) -> dict[str, Any]:
        """Return the event as the JSON object printed by ``timeline`` and ``log``."""
        return {
            "position": self.position,
            "version": self.version,
            "type": self.type,
            "event_id": self.event_id,
            "customer": self.customer,
            "occurred_at": format_utc(self.occurred_at),
            "recorded_at": format_utc(self.recorded_at),
            "source": self.source,
            "actor": self.actor,
            "correlation_id": self.correlation_id,
            "data": self.data.model_dump(mode="json", exclude_none=True),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def stored_state(
    *,
    event_id: str,
    customer: str,
    occurred_at: datetime,
    recorded_at: str,
    source: str | None,
    actor: str | None,
    correlation_id: str | None,
    data: EventData,
    prev_hash: str,
) -> dict[str, Any]:
    """Return the JSON-ready state of an event, without its hash, in the order of hash format 2.

    The order is part of the format: ``hash_format``, ``customer`` and ``type``
    come first and ``prev_hash`` last, so that ``verify`` checks them by offset.
    """
    state: dict[str, Any] = {
        "hash_format": HASH_FORMAT,
        "customer": customer,
        "type": data.wire_name,
        "event_id": event_id,
        "occurred_at": format_utc(occurred_at),
        "recorded_at": recorded_at,  # formatted (format_utc) once per batch by the caller
        "source": source,
        "actor": actor,
        "correlation_id": correlation_id,
        "data": data.model_dump(mode="json", exclude_none=True),
    }
    if data.class_version > 1:
        state["class_version"] = data.class_version
    state["prev_hash"] = prev_hash
    return state


def event_hash(position: int, stream: str, version: int, unsealed: bytes) -> str:
    """Hash format 2: sha256 of ``"{position}:{stream}:{version}:"`` then the stored state's bytes before ``,"hash":``.

    The position pins each event to its place in the global log, the stream and
    version to its place in its customer's stream.
    """
    return hashlib.sha256(b"%d:%s:%d:%s" % (position, stream.encode(), version, unsealed)).hexdigest()


def seal(position: int, stream: str, version: int, state: dict[str, Any]) -> tuple[bytes, str]:
    """Encode a state (without hash) as stored, its hash appended as the last key; return the bytes and the hash."""
    unsealed = orjson.dumps(state)[:-1]
    digest = event_hash(position, stream, version, unsealed)
    return b'%s,"hash":"%s"}' % (unsealed, digest.encode()), digest


def stored_hash(state: bytes) -> str:
    """Return the hash of a stored state: its last 64 digits when sealed (format 2), else its ``hash`` key."""
    if state.endswith(b'"}') and state[-SEAL_LENGTH:].startswith(b',"hash":"'):
        return state[-66:-2].decode()
    return str(orjson.loads(state)["hash"])


def format_1_hash(content: dict[str, Any], position: int, stream: str, version: int) -> str:
    """Hash an event stored before hash format 2 (a state stripped of its hash); completes content in place.

    Format 1: sha256 of the JSON of the state plus ``position``, ``stream`` and
    ``version``, keys sorted, no whitespace.
    """
    content["position"] = position
    content["stream"] = stream
    content["version"] = version
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


class OrjsonTranscoder(Transcoder):
    """Encode stored state as compact JSON; values are already JSON-native."""

    def encode(self, obj: Any) -> bytes:
        """Encode a JSON-native object."""
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        """Decode stored JSON."""
        return orjson.loads(data)


class LedgerMapper(Mapper[UUID]):
    """Map ``RecordedEvent`` objects to the library's stored events and back, upcasting old versions."""

    def __init__(self) -> None:
        super().__init__(transcoder=OrjsonTranscoder())

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """Encode a recorded event as the library's ``StoredEvent``."""
        event: RecordedEvent = domain_event
        state = stored_state(
            event_id=event.event_id,
            customer=event.customer,
            occurred_at=event.occurred_at,
            recorded_at=format_utc(event.recorded_at),
            source=event.source,
            actor=event.actor,
            correlation_id=event.correlation_id,
            data=event.data,
            prev_hash=event.prev_hash,
        )
        state["hash"] = event.hash
        return StoredEvent(
            originator_id=event.stream_id,
            originator_version=event.version,
            topic=get_topic(type(event.data)),
            state=self.transcoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Decode a stored event for the library (see ``to_recorded_event``)."""
        return self.to_recorded_event(stored_event)

    def to_recorded_event(self, stored_event: StoredEvent) -> RecordedEvent:
        """Decode a stored event, upcasting old versions (a ``Notification`` carries its log position)."""
        state = self.transcoder.decode(stored_event.state)
        data_cls: type[EventData] = resolve_topic(stored_event.topic)
        data = state["data"]
        from_version = state.get("class_version", 1)
        while from_version < data_cls.class_version:
            getattr(data_cls, f"upcast_v{from_version}_v{from_version + 1}")(data)
            from_version += 1
        stream_id = stored_event.originator_id
        return RecordedEvent(
            position=stored_event.id if isinstance(stored_event, Notification) else 0,
            stream_id=stream_id if isinstance(stream_id, UUID) else UUID(stream_id),
            version=stored_event.originator_version,
            event_id=state["event_id"],
            customer=state["customer"],
            occurred_at=datetime.fromisoformat(state["occurred_at"]),
            recorded_at=datetime.fromisoformat(state["recorded_at"]),
            source=state["source"],
            actor=state["actor"],
            correlation_id=state["correlation_id"],
            data=data_cls.model_validate(data),
            prev_hash=state["prev_hash"],
            hash=state["hash"],
        )


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A validated event about to be appended: everything but what the ledger assigns."""

    event_id: str
    customer: str
    occurred_at: datetime
    source: str | None
    actor: str | None
    correlation_id: str | None
    data: EventData

    def sealed(self, *, position: int, stream: str, version: int, recorded_at: str, prev_hash: str) -> tuple[bytes, str]:
        """Return the bytes and hash this event is stored with at a place in the log (recorded_at as ``format_utc`` writes it)."""
        state = stored_state(
            event_id=self.event_id,
            customer=self.customer,
            occurred_at=self.occurred_at,
            recorded_at=recorded_at,
            source=self.source,
            actor=self.actor,
            correlation_id=self.correlation_id,
            data=self.data,
            prev_hash=prev_hash,
        )
        return seal(position, stream, version, state)
