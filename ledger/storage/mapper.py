"""The library's side of stored events: the transcoder and the mapper between stored events and ``RecordedEvent``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification, StoredEvent, Transcoder
from eventsourcing.utils import resolve_topic

from commands.event_fields import EventData
from commands.records import RecordedEvent
from ledger.privacy.cipher import is_sealed
from ledger.privacy.sealing import personal_values


class OrjsonTranscoder(Transcoder):
    """Encode stored state as compact JSON; values are already JSON-native."""

    def encode(self, obj: Any) -> bytes:
        """Encode a JSON-native object."""
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        """Decode stored JSON."""
        return orjson.loads(data)


class PersonalView(Protocol):
    """How a read shows personal values: decrypted, masked, or marked erased (``ledger.privacy.reveal``)."""

    def show(self, customer: str, event_id: str, field: str, stored: Any) -> tuple[Any, bool]:
        """Return the value to show for a stored personal value, and whether it is the value itself (valid as the field)."""
        ...


class SealedHidden:
    """The view of reads that ask for no personal data: sealed values read ``[encrypted]``, text as stored."""

    def show(self, customer: str, event_id: str, field: str, stored: Any) -> tuple[Any, bool]:
        """Hide a sealed value; keep a value stored in clear."""
        return ("[encrypted]", False) if is_sealed(stored) else (stored, True)


SEALED_HIDDEN = SealedHidden()
# A required personal field (a void's reason) shown as something else is validated with this in its place.
_PLACEHOLDER = "-"


class LedgerMapper(Mapper[UUID]):
    """Map the library's stored events to ``RecordedEvent`` objects, upcasting old versions.

    Only this way: the ledger's write path (``WriteTransaction``) seals and stores events itself.
    """

    def __init__(self) -> None:
        super().__init__(transcoder=OrjsonTranscoder())

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Decode a stored event for the library's subscriptions (``ProjectionRunner``; see ``to_recorded_event``)."""
        return self.to_recorded_event(stored_event)

    def to_recorded_event(self, stored_event: StoredEvent, view: PersonalView = SEALED_HIDDEN) -> RecordedEvent:
        """Decode a stored event, upcasting old versions (a ``Notification`` carries its log position).

        Personal values are shown as the view says: the data model holds what the view gave,
        validated when that is the value itself, put in place unvalidated when it is a mask.
        """
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
            data=_data(data_cls, data, state["customer"], state["event_id"], view),
            prev_hash=state["prev_hash"],
            hash=state["hash"],
        )


def _data(data_cls: type[EventData], data: dict[str, Any], customer: str, event_id: str, view: PersonalView) -> EventData:
    found = personal_values(data_cls, data)
    if not found:
        return data_cls.model_validate(data)
    shown: dict[str, Any] = {}
    for path, stored in found:
        value, exact = view.show(customer, event_id, path, stored)
        if path.startswith("changes."):
            data["changes"][path[len("changes.") :]] = value  # a free-form dict: any value fits
        elif exact:
            data[path] = value
        else:
            shown[path] = value
    if not shown:
        return data_cls.model_validate(data)
    fields = data_cls.model_fields
    base = {k: (_PLACEHOLDER if k in shown else v) for k, v in data.items() if k not in shown or fields[k].is_required()}
    return data_cls.model_validate(base).model_copy(update=shown)
