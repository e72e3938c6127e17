"""How corrections read: voided events never happened, corrected events carry their merged data.

The shared semantics every query applies: a voided event is left out; a
corrected event's data is its own data merged with each correction's changes,
later corrections winning in log order; under ``known_at`` a correction counts
only if it was recorded by then. These functions are pure (no database).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from commands.events import EventCorrected, EventData, EventVoided
from commands.records import RecordedEvent

CORRECTION_TYPES = (EventVoided, EventCorrected)


def apply_changes(data: EventData, changes: dict[str, Any]) -> EventData:
    """Return data with changes merged in, validated as its type (raises pydantic's ValidationError)."""
    merged = {**data.model_dump(mode="json", exclude_none=True), **changes}
    return type(data).model_validate(merged)


def recorded_by(events: Iterable[RecordedEvent], known_at: datetime | None) -> list[RecordedEvent]:
    """Return the events the ledger held at known_at (all of them when known_at is None)."""
    return [e for e in events if known_at is None or e.recorded_at <= known_at]


def effective_events(events: Iterable[RecordedEvent], known_at: datetime | None = None) -> list[RecordedEvent]:
    """Return one stream's events as queries see them: voids removed, corrections applied, corrections themselves dropped.

    Events must be in log (or stream) order. A corrected event keeps its envelope,
    position and hashes; only its ``data`` is replaced.
    """
    held = recorded_by(events, known_at)
    voided: set[str] = set()
    changes: dict[str, dict[str, Any]] = {}
    for event in held:
        match event.data:
            case EventVoided(target_event_id=target):
                voided.add(target)
            case EventCorrected(target_event_id=target, changes=update):
                changes.setdefault(target, {}).update(update)
    return [
        replace(event, data=apply_changes(event.data, changes[event.event_id])) if event.event_id in changes else event
        for event in held
        if not isinstance(event.data, CORRECTION_TYPES) and event.event_id not in voided
    ]


@dataclass(frozen=True, slots=True)
class CorrectionNote:
    """What a correction did to its target, for people reading a timeline."""

    position: int
    event_id: str
    type: str
    actor: str | None
    reason: str | None
    changes: dict[str, Any] | None

    def describe(self) -> str:
        """Return a short line such as ``voided at 12 by alice: duplicate``."""
        what = "voided" if self.changes is None else "corrected " + ", ".join(f"{k}={v}" for k, v in self.changes.items())
        by = f" by {self.actor}" if self.actor else ""
        why = f": {self.reason}" if self.reason else ""
        return f"{what} at {self.position}{by}{why}"

    def to_json_dict(self) -> dict[str, Any]:
        """Return the note as the JSON object exports and ``timeline --json`` print."""
        note: dict[str, Any] = {"position": self.position, "event_id": self.event_id, "type": self.type}
        note.update({k: v for k, v in (("actor", self.actor), ("reason", self.reason), ("changes", self.changes)) if v})
        return note


def correction_note(event: RecordedEvent) -> CorrectionNote | None:
    """Return the note of a correction event (None for any other event)."""
    match event.data:
        case EventVoided(reason=reason):
            return CorrectionNote(event.position, event.event_id, event.type, event.actor, reason, None)
        case EventCorrected(reason=reason, changes=changes):
            return CorrectionNote(event.position, event.event_id, event.type, event.actor, reason, dict(changes))
    return None


def corrections_by_target(events: Iterable[RecordedEvent]) -> dict[str, list[CorrectionNote]]:
    """Return the corrections among events, grouped by the event_id they correct, in log order."""
    notes: dict[str, list[CorrectionNote]] = {}
    for event in events:
        note = correction_note(event)
        if note is not None:
            notes.setdefault(event.data.target_event_id, []).append(note)  # type: ignore[attr-defined]
    return notes


def timeline_view(
    events: list[RecordedEvent], *, as_of: datetime | None = None, known_at: datetime | None = None
) -> list[RecordedEvent]:
    """Return a stream's events for a timeline: originals and their corrections, both shown.

    ``known_at`` keeps what was recorded by then; ``as_of`` keeps what occurred by
    then, plus the corrections (whenever they occurred) of the events it keeps.
    """
    held = recorded_by(events, known_at)
    if as_of is None:
        return held
    kept = {e.event_id for e in held if not isinstance(e.data, CORRECTION_TYPES) and e.occurred_at <= as_of}
    return [e for e in held if e.event_id in kept or (isinstance(e.data, CORRECTION_TYPES) and e.data.target_event_id in kept)]
