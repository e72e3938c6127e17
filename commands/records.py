"""Recorded events: the envelope plus data, their stored encoding and their hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

import orjson
from eventsourcing.utils import register_topic

from commands.events import EVENT_TYPES, EventData
from commands.timeutil import format_utc

# Customer keys map to stream ids without a lookup; never change this namespace.
CUSTOMER_NAMESPACE = UUID("6f1c1a52-1d0b-4c8e-9a3e-0c6a2b1d9e47")
GENESIS_HASH = "0" * 64
HASH_FORMAT = 2
# Seals an event's personal values in its dumped data (event_id, data class, data) before the state is hashed.
Protect = Callable[[str, type[EventData], dict[str, Any]], dict[str, Any]]
SEAL_LENGTH = len(b',"hash":"') + 64 + len(b'"}')  # what seal() appends to the unsealed state
# Stored topics name the catalogue's classes where they were first published: they are part of the
# stored format that verify checks, so they stay when the code moves; the library resolves them here.
TOPIC_MODULE = "ledger.events"
TOPIC_BY_TYPE = {wire_name: f"{TOPIC_MODULE}:{cls.__qualname__}" for wire_name, cls in EVENT_TYPES.items()}
for _wire_name, _topic in TOPIC_BY_TYPE.items():
    register_topic(_topic, EVENT_TYPES[_wire_name])


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
    protect: Protect | None = None,
) -> dict[str, Any]:
    """Return the JSON-ready state of an event, without its hash, in the order of hash format 2.

    The order is part of the format: ``hash_format``, ``customer`` and ``type``
    come first and ``prev_hash`` last, so that ``verify`` checks them by offset.
    protect seals the personal values of the data, so that the hash covers the ciphertext.
    """
    dumped = data.model_dump(mode="json", exclude_none=True)
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
        "data": dumped if protect is None else protect(event_id, type(data), dumped),
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
    # The customer named by an identifier (kind, value as given) rather than a key: the write
    # transaction resolves it to the holder and sets ``customer`` (empty until then).
    addressed_by: tuple[str, str] | None = None

    def sealed(
        self, *, position: int, stream: str, version: int, recorded_at: str, prev_hash: str, protect: Protect | None = None
    ) -> tuple[bytes, str]:
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
            protect=protect,
        )
        return seal(position, stream, version, state)
