"""The event catalogue: one frozen pydantic model per kind of fact about a customer.

Each model holds only the event's own data; the envelope (event_id, customer,
times, source, actor, correlation_id) is kept beside it in ``RecordedEvent``.
Fields that carry personal data are declared with ``personal()`` so that they are
encrypted with a key per customer. Groups of events with a module of their own
(privacy, identity) are joined into ``EVENT_TYPES`` here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from commands.event_fields import (
    FREE_TEXT_MAX,
    SCORE_RANGES,
    AcsiScore,
    Channel,
    CurrencyCode,
    Direction,
    EventData,
    Identifier,
    Severity,
    ShortText,
    SurveyKind,
    check_minor_units,
    personal,
)
from commands.events_identity import IDENTITY_EVENTS
from commands.events_privacy import PRIVACY_EVENTS
from commands.whole_numbers import WholeNumber


class _CustomerDetails(EventData):
    name: str | None = personal(min_length=1, max_length=500)
    email: str | None = personal(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    phone: str | None = personal(pattern=r"^\+?[0-9 ()./-]{3,40}$")
    national_id: str | None = personal(min_length=1, max_length=100)
    segment: ShortText | None = None
    attributes: dict[ShortText, Annotated[str, Field(max_length=1_000)]] = Field(default_factory=dict)
    external_ids: dict[ShortText, Identifier] = Field(default_factory=dict)


class CustomerRegistered(_CustomerDetails):
    """The customer's details were first recorded."""

    wire_name: ClassVar[str] = "customer_registered"


class CustomerUpdated(_CustomerDetails):
    """Some of the customer's details changed; absent fields are unchanged."""

    wire_name: ClassVar[str] = "customer_updated"

    @model_validator(mode="after")
    def _changes_something(self) -> CustomerUpdated:
        if not self.model_fields_set:
            raise ValueError("customer_updated needs at least one field to change")
        return self


class ContactLogged(EventData):
    """The customer and the company were in contact on some channel."""

    wire_name: ClassVar[str] = "contact"

    channel: Channel
    direction: Direction = Direction.INBOUND
    topic: ShortText | None = None
    agent: ShortText | None = None
    duration_s: Annotated[WholeNumber, Field(ge=0, le=7 * 24 * 3600)] | None = None
    note: str | None = personal(max_length=FREE_TEXT_MAX)


class PurchaseRecorded(EventData):
    """The customer bought something (a zero amount is a free or promotional order)."""

    wire_name: ClassVar[str] = "purchase"

    order_id: Identifier
    currency: CurrencyCode
    amount: Annotated[Decimal, Field(ge=0, max_digits=18)]
    quantity: Annotated[WholeNumber, Field(ge=1)] = 1
    sku: ShortText | None = None
    category: ShortText | None = None
    channel: Channel | None = None

    _amount_fits_currency = field_validator("amount")(check_minor_units)


class RefundIssued(EventData):
    """Money was paid back on one of the customer's orders."""

    wire_name: ClassVar[str] = "refund"

    order_id: Identifier
    # Optional: a refund is always in its order's currency; when given it must match.
    currency: CurrencyCode | None = None
    amount: Annotated[Decimal, Field(gt=0, max_digits=18)]
    reason: str | None = personal(max_length=FREE_TEXT_MAX)

    _amount_fits_currency = field_validator("amount")(check_minor_units)


class ComplaintFiled(EventData):
    """The customer complained; the complaint is open until resolved."""

    wire_name: ClassVar[str] = "complaint_filed"

    complaint_id: Identifier
    severity: Severity
    channel: Channel | None = None
    category: ShortText | None = None
    description: str | None = personal(max_length=FREE_TEXT_MAX)


class ComplaintResponded(EventData):
    """The company answered an open complaint."""

    wire_name: ClassVar[str] = "complaint_responded"

    complaint_id: Identifier
    message: str | None = personal(max_length=FREE_TEXT_MAX)
    responder: ShortText | None = None


class ComplaintResolved(EventData):
    """An open complaint was resolved."""

    wire_name: ClassVar[str] = "complaint_resolved"

    complaint_id: Identifier
    resolution: str | None = personal(max_length=FREE_TEXT_MAX)
    responder: ShortText | None = None


class ComplaintReopened(EventData):
    """A resolved complaint was opened again."""

    wire_name: ClassVar[str] = "complaint_reopened"

    complaint_id: Identifier
    reason: str | None = personal(max_length=FREE_TEXT_MAX)


class SurveyAnswered(EventData):
    """The customer answered a satisfaction survey (NPS, CSAT or CES)."""

    wire_name: ClassVar[str] = "survey_answered"

    survey_id: Identifier
    kind: SurveyKind
    score: WholeNumber
    expectation: AcsiScore | None = None
    perceived_quality: AcsiScore | None = None
    perceived_value: AcsiScore | None = None
    comment: str | None = personal(max_length=FREE_TEXT_MAX)
    channel: Channel | None = None
    about: Identifier | None = None

    @field_validator("score")
    @classmethod
    def _score_in_range(cls, score: int, info: ValidationInfo) -> int:
        kind = info.data.get("kind")
        if kind is not None:
            low, high = SCORE_RANGES[kind]
            if not low <= score <= high:
                raise ValueError(f"{score} is outside {low}..{high} for {kind.value}")
        return score


class SurveySent(EventData):
    """A satisfaction survey was sent to the customer: the answers to it give the response rate."""

    wire_name: ClassVar[str] = "survey_sent"

    survey_id: Identifier
    kind: SurveyKind | None = None
    channel: Channel | None = None
    about: Identifier | None = None


class EventVoided(EventData):
    """An earlier event of this customer is void: queries treat it as if it never happened."""

    wire_name: ClassVar[str] = "event_voided"

    target_event_id: Identifier
    reason: str = Field(min_length=1, max_length=FREE_TEXT_MAX, json_schema_extra={"personal": True})


class EventCorrected(EventData):
    """Some data fields of an earlier event of this customer are corrected (later corrections win)."""

    wire_name: ClassVar[str] = "event_corrected"

    target_event_id: Identifier
    changes: dict[str, Any] = Field(min_length=1)
    reason: str | None = personal(max_length=FREE_TEXT_MAX)


CORE_EVENTS: tuple[type[EventData], ...] = (
    CustomerRegistered,
    CustomerUpdated,
    ContactLogged,
    PurchaseRecorded,
    RefundIssued,
    ComplaintFiled,
    ComplaintResponded,
    ComplaintResolved,
    ComplaintReopened,
    SurveySent,
    SurveyAnswered,
    EventVoided,
    EventCorrected,
)
EVENT_TYPES: dict[str, type[EventData]] = {cls.wire_name: cls for cls in (*CORE_EVENTS, *PRIVACY_EVENTS, *IDENTITY_EVENTS)}
