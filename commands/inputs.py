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
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from commands.errors import InvalidArgumentError, InvalidEventError
from commands.events import EVENT_TYPES, PurchaseRecorded
from commands.records import NewEvent
from commands.timeutil import check_not_future, format_utc, to_utc

EnvelopeText = Annotated[str, Field(min_length=1, max_length=200)]
# Deeper JSON is refused before validation: recursive code (pydantic, hashing, encoding) must never meet it.
MAX_NESTING = 16
# Business times before this are refused: no customer interaction is that old, and the calendar's
# edges (year 1, year 9999 with an offset) overflow when converted to UTC or extended by a day.
EARLIEST_OCCURRED_AT = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME_TEXT = 40
# ISO 8601 extended format only: Python's own parser also reads basic and truncated forms ("20240501", "2024-05-01T08").
ISO_TIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?")
# How much of an offending value an error message quotes.
QUOTE_LENGTH = 60


def _time_value(value: Any) -> Any:
    if value is None or isinstance(value, str | date):
        return value
    raise ValueError(f"expected an ISO 8601 date or datetime as text, got {type(value).__name__} {quote(value)}")


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
    customer: EnvelopeText
    occurred_at: Annotated[datetime | date | str | None, BeforeValidator(_time_value)] = None
    event_id: EnvelopeText | None = None
    source: EnvelopeText | None = None
    actor: EnvelopeText | None = None
    correlation_id: EnvelopeText | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def parse_event(
    raw: dict[str, Any] | EventInput,
    settings: EventDefaults,
    now: datetime,
    *,
    require_time: bool = False,
    default_event_id: str | None = None,
) -> NewEvent:
    """Validate one event and return it ready to append, or raise InvalidEventError naming each bad field.

    Without occurred_at the event happened now (unless require_time); without an
    event_id it gets default_event_id, or a random one.
    """
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
    return NewEvent(
        event_id=envelope.event_id or default_event_id or str(uuid.uuid4()),
        customer=envelope.customer,
        occurred_at=occurred_at,
        source=envelope.source,
        actor=envelope.actor,
        correlation_id=envelope.correlation_id,
        data=data,
    )


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


def value_problems(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Return what makes raw input unsafe to validate or store: bytes, NUL characters, nesting beyond MAX_NESTING."""
    if type(value) is dict and _is_plain(value, 0):  # the common case, in a fraction of the full walk's time
        return []
    return _problems(value, path, 0)


def _is_plain(container: dict[Any, Any] | list[Any] | tuple[Any, ...], depth: int) -> bool:
    """Whether a container is JSON-like all through: plain str keys and texts without NUL, within MAX_NESTING."""
    if depth >= MAX_NESTING:
        return False
    items = container.items() if type(container) is dict else enumerate(container)
    for key, item in items:
        if type(key) is str and "\x00" in key:
            return False
        kind = type(item)
        if kind is str:
            if "\x00" in item:
                return False
        elif kind is dict or kind is list or kind is tuple:
            if not _is_plain(item, depth + 1):
                return False
        elif isinstance(item, str | dict | list | tuple | bytes | bytearray | memoryview):  # subclasses, bytes
            return False
    return True


def _problems(value: Any, path: str, depth: int) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path or "event", "contains a NUL character (\\u0000)")] if "\x00" in value else []
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_NESTING:
            return [(path or "event", f"nested deeper than {MAX_NESTING} levels")]
        problems: list[tuple[str, str]] = []
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                problems.append((path or "event", f"a key contains a NUL character: {quote(key)}"))
            else:
                problems.extend(_problems(item, f"{path}.{key}" if path else str(key), depth + 1))
        return problems
    if isinstance(value, bytes | bytearray | memoryview):
        return [(path or "event", "bytes are not accepted: pass text (str)")]
    return []


def quote(value: Any) -> str:
    """Return a value as an error message quotes it: its repr, cut to QUOTE_LENGTH characters."""
    text = repr(value)
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 3] + "..."


_MESSAGES = {
    "missing": "missing",
    "extra_forbidden": "unknown field",
}


def pydantic_problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Turn a pydantic error into (field path, reason) pairs people can read, quoting the offending value."""
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        reason = _MESSAGES.get(item["type"]) or item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        if item["type"] not in _MESSAGES and isinstance(value, str | int | float) and quote(value) not in reason:
            reason = f"{reason} (got {quote(value)})"
        problems.append((path or prefix or "event", reason))
    return problems


def require_text(name: str, value: object) -> str:
    """Return value if it is non-empty text; raise InvalidArgumentError naming the argument otherwise."""
    if isinstance(value, str) and value.strip() and "\x00" not in value:
        return value
    shown = f"{type(value).__name__} {quote(value)}"
    raise InvalidArgumentError(f"{name}: expected non-empty text without NUL characters, got {shown}")
