"""A customer's timeline: the events it shows as of a time and as known at a time, and notes on corrected ones.

A timeline shows originals and their voids and corrections side by side; what
those do is ``commands/corrections.py``, shared with the rules and the projections.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from commands.corrections import recorded_by
from commands.events import EventCorrected, EventVoided
from commands.records import RecordedEvent


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


def corrections_by_target(events: Iterable[RecordedEvent]) -> dict[str, list[CorrectionNote]]:
    """Return the corrections among events, grouped by the event_id they correct, in log order."""
    notes: dict[str, list[CorrectionNote]] = {}
    for event in events:
        match event.data:
            case EventVoided(target_event_id=target, reason=reason):
                changes = None
            case EventCorrected(target_event_id=target, reason=reason, changes=changed):
                changes = dict(changed)
            case _:
                continue
        note = CorrectionNote(event.position, event.event_id, event.type, event.actor, reason, changes)
        notes.setdefault(target, []).append(note)
    return notes


def timeline_view(
    events: list[RecordedEvent], *, as_of: datetime | None = None, known_at: datetime | None = None
) -> list[RecordedEvent]:
    """Return a stream's events for a timeline: originals and their corrections, both shown.

    ``known_at`` keeps what was recorded by then; ``as_of`` keeps what occurred by
    then, plus the corrections (whenever they occurred) of the events it keeps.
    """
    held = recorded_by(events, known_at, attrgetter("recorded_at"))
    if as_of is None:
        return held
    kept = {e.event_id for e in held if _target_of(e) is None and e.occurred_at <= as_of}
    return [e for e in held if e.event_id in kept or _target_of(e) in kept]


def _target_of(event: RecordedEvent) -> str | None:
    """Return the event_id a void or correction refers to (None for any other event)."""
    return event.data.target_event_id if isinstance(event.data, EventVoided | EventCorrected) else None
