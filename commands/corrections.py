"""What voids and corrections mean: written once, for the write-side rules and for every reader.

A void says that its target never happened: readers leave the target out. The
complaint steps that move a complaint's state are not voided: a further step follows.
A correction replaces some data fields of its target: not the fields that say which
order or complaint the event belongs to (void it and record it again), and a change
to None removes an optional field. Corrections of one target apply in log order, so
later ones win; voids and corrections themselves are final and are not facts about
the customer. A reader asking what the ledger knew at a time counts only what was
recorded by then; what it counts is corrected whenever the correction occurred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from commands.events import ComplaintFiled, ComplaintReopened, ComplaintResolved, EventCorrected, EventVoided

VOID = EventVoided.wire_name
CORRECTION = EventCorrected.wire_name
CORRECTION_TYPES = frozenset({VOID, CORRECTION})
# Fields that say which order or complaint an event belongs to: a mistake there
# is fixed by voiding the event and recording the right one.
IDENTITY_FIELDS = frozenset({"order_id", "currency", "complaint_id"})
# Complaint steps drive the complaint's state; they are not voided but followed by further steps.
STATE_CHANGING_STEPS = frozenset({ComplaintFiled.wire_name, ComplaintResolved.wire_name, ComplaintReopened.wire_name})


class StoredFact(Protocol):
    """What the semantics read of a stored event: its wire name, id and data as stored (JSON values)."""

    @property
    def type(self) -> str: ...

    @property
    def event_id(self) -> str: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


F = TypeVar("F", bound=StoredFact)
E = TypeVar("E")


def corrected_data(data: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Return data with a correction's changes applied: fields replaced, fields changed to None removed."""
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def recorded_by(events: list[E], known_at: datetime | None, recorded_at: Callable[[E], datetime]) -> list[E]:
    """Return the events the ledger held at known_at (all of them when known_at is None)."""
    return events if known_at is None else [e for e in events if recorded_at(e) <= known_at]


@dataclass(slots=True)
class StreamCorrections:
    """The voids and corrections of one stream: the events voided and each target's changes, later ones winning."""

    voided: set[str] = field(default_factory=set)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, events: Iterable[F], with_data: Callable[[F, dict[str, Any]], F]) -> list[F]:
        """Return the events that count, in order: voids, corrections and voided events left out, corrections applied."""
        voided, changes = self.voided, self.changes
        counted: list[F] = []
        for event in events:
            if event.type in CORRECTION_TYPES or event.event_id in voided:
                continue
            update = changes.get(event.event_id)
            counted.append(event if update is None else with_data(event, corrected_data(event.data, update)))
        return counted


def stream_corrections(events: Iterable[StoredFact]) -> StreamCorrections | None:
    """Return the voids and corrections among one stream's events (in log order), or None when there are none."""
    found: StreamCorrections | None = None
    corrections = CORRECTION_TYPES  # a local: this loop runs once per event of every rebuild
    for event in events:
        if event.type in corrections:
            if found is None:
                found = StreamCorrections()
            data = event.data
            if event.type == VOID:
                found.voided.add(data["target_event_id"])
            else:
                found.changes.setdefault(data["target_event_id"], {}).update(data["changes"])
    return found
