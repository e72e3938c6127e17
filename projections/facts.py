"""Decoded events for the read side: raw stored state read with orjson, and corrections applied.

The read side never builds pydantic models: a rebuild decodes every event of the
log, and ``orjson.loads`` plus a small slotted object is several times faster.
What voids and corrections do is ``commands/corrections.py``, shared with the
write-side rules and the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from commands.corrections import recorded_by, stream_corrections


@dataclass(slots=True)
class Fact:
    """One stored event as projections see it."""

    position: int
    type: str
    event_id: str
    # The time it occurred as fixed-width UTC text (``iso``): it sorts as the time does, and
    # read models store it as is. Only complaints and answers need the datetime: parsing
    # one per event was a noticeable share of decoding a stream.
    occurred: str
    recorded_at: str
    data: dict[str, Any]

    @property
    def occurred_at(self) -> datetime:
        """Return the time it occurred."""
        return datetime.fromisoformat(self.occurred)


def decode(position: int, state: bytes) -> tuple[str, Fact]:
    """Decode a stored state into its customer key and fact."""
    raw = orjson.loads(state)
    text = raw["occurred_at"]
    # The ledger's two forms inline (a call per event shows in a rebuild); others in _fixed_width.
    if len(text) == 20 and text[19] == "Z":
        occurred = text[:19] + ".000000Z"
    elif len(text) == 27 and text[26] == "Z":
        occurred = text
    else:
        occurred = _fixed_width(text)
    return raw["customer"], Fact(position, raw["type"], raw["event_id"], occurred, raw["recorded_at"], raw["data"])


def _fixed_width(text: str) -> str:
    """Return a stored time as ``iso`` writes it, from any form ``datetime.fromisoformat`` reads.

    The ledger stores UTC with Z, microseconds only when not zero: ``decode`` pads those
    forms itself (formatting a datetime per event was a noticeable share of a rebuild).
    """
    return iso(datetime.fromisoformat(text)) or ""


def effective(facts: list[Fact], *, as_of: datetime | None = None, known_at: datetime | None = None) -> list[Fact]:
    """Return one stream's facts (in stream order) as queries count them.

    as_of keeps what occurred by then; known_at keeps what was recorded by then.
    Corrections apply whatever their own occurred_at, if known by known_at.
    """
    held = recorded_by(facts, known_at, _recorded_at)
    bound = iso(as_of)
    kept = held if bound is None else [fact for fact in held if fact.occurred <= bound]
    found = stream_corrections(held)
    # No corrections (the usual stream): the facts are counted as they are.
    return kept if found is None else found.apply(kept, _with_data)


def _recorded_at(fact: Fact) -> datetime:
    return datetime.fromisoformat(fact.recorded_at)


def _with_data(fact: Fact, data: dict[str, Any]) -> Fact:
    return Fact(fact.position, fact.type, fact.event_id, fact.occurred, fact.recorded_at, data)


def iso(moment: datetime | None) -> str | None:
    """Format a time as fixed-width UTC text, so that stored times sort as text."""
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    """Parse a stored time back."""
    return None if text is None else datetime.fromisoformat(text)


def period_of(stored: ColumnElement[Any], unit: Literal["month", "day"]) -> ColumnElement[str]:
    """Return the month (``2024-05``) or day (``2024-05-01``) of a stored time in SQL.

    The numbers are literals, not parameters: a query's expression must be the
    indexed one, text for text, for the database to use the index.
    """
    return func.substr(stored, literal_column("1"), literal_column("7" if unit == "month" else "10"))
