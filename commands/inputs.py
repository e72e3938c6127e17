"""The wire format of one event (API call, CLI append, import line) and its validation."""

from __future__ import annotations

import uuid
from datetime import date, datetime, tzinfo
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from commands.errors import InvalidEventError
from commands.events import EVENT_TYPES, PurchaseRecorded
from commands.records import NewEvent
from commands.timeutil import check_not_future, to_utc

EnvelopeText = Annotated[str, Field(min_length=1, max_length=200)]


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
    occurred_at: datetime | date | str | None = None
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
            occurred_at = to_utc(envelope.occurred_at, settings.tz)
            check_not_future(occurred_at, now)
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


_MESSAGES = {
    "missing": "missing",
    "extra_forbidden": "unknown field",
}


def pydantic_problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Turn a pydantic error into (field path, reason) pairs people can read."""
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        reason = _MESSAGES.get(item["type"]) or item["msg"].removeprefix("Value error, ")
        problems.append((path or prefix or "event", reason))
    return problems
