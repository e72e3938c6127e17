"""The wire format of one event (API call, CLI append, import line) and its validation.

The rules are strict, so that nothing is silently misread (see docs/errors.md):
text is ``str`` (never bytes) without NUL characters; values nest at most
MAX_NESTING levels; ``occurred_at`` is an ISO 8601 date or date and time (text, or a
``date``/``datetime`` from Python), never a number, between EARLIEST_OCCURRED_AT and
now; whole numbers are ints or their decimal text, never booleans or floats, and fit
in 64 bits (``commands.events.WholeNumber``); amounts are not negative, not even -0.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any, Protocol

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from commands.errors import InvalidArgumentError, InvalidEventError
from commands.event_fields import EventData
from commands.events import EVENT_TYPES, PurchaseRecorded
from commands.input_problems import MAX_NESTING, QUOTE_LENGTH, pydantic_problems, quote, value_problems
from commands.input_union import CustomerText, EnvelopeText, addressed, envelopes, plain_json, time_value
from commands.records import NewEvent
from commands.timeutil import check_not_future, format_utc, to_utc

__all__ = [
    "MAX_NESTING",
    "QUOTE_LENGTH",
    "EventDefaults",
    "EventInput",
    "business_time",
    "json_object",
    "parse_event",
    "pydantic_problems",
    "quote",
    "require_text",
    "value_problems",
]

# Business times before this are refused: no customer interaction is that old, and the calendar's
# edges (year 1, year 9999 with an offset) overflow when converted to UTC or extended by a day.
EARLIEST_OCCURRED_AT = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME_TEXT = 40
# ISO 8601 extended format only: Python's own parser also reads basic and truncated forms ("20240501", "2024-05-01T08").
ISO_TIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?")


class EventDefaults(Protocol):
    """What parsing fills in from the configuration: the zone of naive times and the default currency."""

    @property
    def tz(self) -> tzinfo: ...

    @property
    def currency(self) -> str: ...


class EventInput(BaseModel):
    """One event as callers send it: the envelope and the type's data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: EnvelopeText
    customer: CustomerText
    occurred_at: Annotated[datetime | date | str | None, BeforeValidator(time_value)] = None
    event_id: EnvelopeText | None = None
    source: EnvelopeText | None = None
    actor: EnvelopeText | None = None
    correlation_id: EnvelopeText | None = None
    data: dict[str, Any] = Field(default_factory=dict)


# The event id of an event that has none, from the raw event (an import derives it from the line's content).
DefaultEventId = str | Callable[[dict[str, Any]], str] | None


def parse_event(
    raw: dict[str, Any] | EventInput | bytes,
    settings: EventDefaults,
    now: datetime,
    *,
    require_time: bool = False,
    default_event_id: DefaultEventId = None,
) -> NewEvent:
    """Validate one event (a mapping, or a JSON Lines line as bytes) and return it ready to append.

    Raises InvalidEventError naming each bad field. Without occurred_at the event
    happened now (unless require_time); without an event_id it gets default_event_id
    (called with the raw event if a function), or a random one.
    """
    if isinstance(raw, bytes):
        event = _parse_at_once(raw, settings, now, require_time, default_event_id) if plain_json(raw) else None
        return event or _parse_in_steps(json_object(raw), settings, now, require_time, default_event_id)
    if isinstance(raw, dict) and not value_problems(raw):
        event = _parse_at_once(raw, settings, now, require_time, default_event_id)
        if event is not None:
            return event
    return _parse_in_steps(raw, settings, now, require_time, default_event_id)


def json_object(line: bytes) -> dict[str, Any]:
    """Return the JSON object of a line, or raise InvalidEventError saying why it is none (the whole line's problem)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidEventError([("", f"not valid UTF-8 (byte {error.start}; is it CP1252 or Latin-1?)")]) from None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InvalidEventError([("", f"not valid JSON: {error}")]) from None
    if not isinstance(value, dict):
        raise InvalidEventError([("", f"expected a JSON object, got {type(value).__name__}")])
    return value


def _parse_at_once(
    raw: dict[str, Any] | bytes, settings: EventDefaults, now: datetime, require_time: bool, default_event_id: DefaultEventId
) -> NewEvent | None:
    """Validate a valid event in one pass of pydantic (envelope and data together); None if anything is wrong.

    The step-by-step path then finds each problem and says it as it always has: a
    problem is rare, and its message stays the same whichever way the event came in.
    """
    context = {"currency": settings.currency}
    try:
        if isinstance(raw, bytes):
            envelope = envelopes(b'"currency"' not in raw).validate_json(raw, context=context)
        else:
            envelope = envelopes(True).validate_python(raw, context=context)
    except ValidationError:
        return None
    occurred_at = now
    if envelope.occurred_at is None:
        if require_time:
            return None
    else:
        try:
            occurred_at = business_time(envelope.occurred_at, settings.tz, now)
        except ValueError:
            return None
    event_id = envelope.event_id
    if event_id is None:
        if callable(default_event_id):
            event_id = default_event_id(orjson.loads(raw) if isinstance(raw, bytes) else raw)
        else:
            event_id = default_event_id or str(uuid.uuid4())
    return _new_event(envelope, envelope.data, occurred_at, event_id)


def _parse_in_steps(
    raw: dict[str, Any] | EventInput,
    settings: EventDefaults,
    now: datetime,
    require_time: bool,
    default_event_id: DefaultEventId,
) -> NewEvent:
    """Validate the envelope, then the time and the data, collecting every problem with its field."""
    if not isinstance(raw, dict | EventInput):
        raise InvalidEventError([("event", f"expected a JSON object, got {type(raw).__name__}")])
    unsafe = value_problems(raw if isinstance(raw, dict) else raw.data, "" if isinstance(raw, dict) else "data")
    if unsafe:
        raise InvalidEventError(unsafe)
    try:
        envelope = raw if isinstance(raw, EventInput) else EventInput.model_validate(raw)
    except ValidationError as error:
        raise InvalidEventError(pydantic_problems(error)) from None
    problems: list[tuple[str, str]] = []
    data_cls = EVENT_TYPES.get(envelope.type)
    if data_cls is None:
        problems.append(("type", f"unknown event type {envelope.type!r} (expected one of {', '.join(EVENT_TYPES)})"))
    occurred_at = now
    if envelope.occurred_at is None:
        if require_time:
            problems.append(("occurred_at", "missing"))
    else:
        try:
            occurred_at = business_time(envelope.occurred_at, settings.tz, now)
        except ValueError as error:
            problems.append(("occurred_at", str(error)))
    data = None
    if data_cls is not None:
        fields = envelope.data
        if data_cls is PurchaseRecorded and fields.get("currency") in (None, ""):
            fields = {**fields, "currency": settings.currency}
        try:
            data = data_cls.model_validate(fields)
        except ValidationError as error:
            problems.extend(pydantic_problems(error, prefix="data"))
    if problems or data is None:
        raise InvalidEventError(problems)
    if envelope.event_id:
        event_id = envelope.event_id
    elif callable(default_event_id):
        event_id = default_event_id(raw if isinstance(raw, dict) else raw.model_dump())
    else:
        event_id = default_event_id or str(uuid.uuid4())
    return _new_event(envelope, data, occurred_at, event_id)


def business_time(value: datetime | date | str, local_tz: tzinfo, now: datetime) -> datetime:
    """Return when an event occurred, in UTC; raise ValueError unless it is ISO 8601 between EARLIEST_OCCURRED_AT and now."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_TIME_TEXT or not ISO_TIME_TEXT.fullmatch(text):
            raise ValueError(f"not an ISO 8601 date or datetime: {quote(value)}")
    try:
        moment = to_utc(value, local_tz)
    except OverflowError:
        raise ValueError(f"{quote(value)} is outside the calendar's range") from None
    if moment < EARLIEST_OCCURRED_AT:
        raise ValueError(f"{quote(value)} is before {format_utc(EARLIEST_OCCURRED_AT)}, the earliest time accepted")
    check_not_future(moment, now)
    return moment


def require_text(name: str, value: object) -> str:
    """Return value if it is non-empty text; raise InvalidArgumentError naming the argument otherwise."""
    if isinstance(value, str) and value.strip() and "\x00" not in value:
        return value
    shown = f"{type(value).__name__} {quote(value)}"
    raise InvalidArgumentError(f"{name}: expected non-empty text without NUL characters, got {shown}")


def _new_event(envelope: Any, data: EventData, occurred_at: datetime, event_id: str) -> NewEvent:
    """The validated event with its envelope: both parse paths end here, so they cannot build it apart."""
    customer, addressed_by = addressed(envelope.customer)
    return NewEvent(
        event_id=event_id,
        customer=customer,
        occurred_at=occurred_at,
        source=envelope.source,
        actor=envelope.actor,
        correlation_id=envelope.correlation_id,
        data=data,
        addressed_by=addressed_by,
    )
