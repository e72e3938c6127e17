"""The library's side of stored events: the transcoder and the mapper between stored events and ``RecordedEvent``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification, StoredEvent, Transcoder
from eventsourcing.utils import resolve_topic

from commands.events import EventData
from commands.records import RecordedEvent


class OrjsonTranscoder(Transcoder):
    """Encode stored state as compact JSON; values are already JSON-native."""

    def encode(self, obj: Any) -> bytes:
        """Encode a JSON-native object."""
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        """Decode stored JSON."""
        return orjson.loads(data)


class LedgerMapper(Mapper[UUID]):
    """Map the library's stored events to ``RecordedEvent`` objects, upcasting old versions.

    Only this way: the ledger's write path (``WriteTransaction``) seals and stores events itself.
    """

    def __init__(self) -> None:
        super().__init__(transcoder=OrjsonTranscoder())

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Decode a stored event for the library's subscriptions (``ProjectionRunner``; see ``to_recorded_event``)."""
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
