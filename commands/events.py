"""The event catalogue: one frozen pydantic model per kind of fact about a customer.

Each model holds only the event's own data; the envelope (event_id, customer,
times, source, actor, correlation_id) is kept beside it in ``RecordedEvent``.
Fields that carry personal data are declared with ``personal()`` so that a later
change can encrypt exactly those with a key per customer.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from commands.currencies import MINOR_UNITS
from commands.whole_numbers import WholeNumber


def personal(**constraints: Any) -> Any:
    """Declare an optional field that holds personal data (name, contact details, free text)."""
    return Field(default=None, json_schema_extra={"personal": True}, **constraints)


def _check_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValueError(f"unknown currency code: {code}")
    return code


def _check_minor_units(amount: Decimal, info: ValidationInfo) -> Decimal:
    if amount.is_signed():  # -0.00 passes ">= 0"; a sign on an amount is always a mistake
        raise ValueError(f"{str(amount)!r} must not be negative")
    currency = info.data.get("currency")
    places = MINOR_UNITS.get(currency) if currency else None
    exponent = amount.as_tuple().exponent
    if places is None:
        return amount
    if isinstance(exponent, int) and -exponent > places and amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{amount} has more than {places} decimal places, the most {currency} allows")
    # Stored amounts carry exactly the currency's minor units, so equal amounts hash equally.
    return amount.quantize(Decimal(1).scaleb(-places))


Identifier = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
FREE_TEXT_MAX = 10_000
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_check_currency)]
AcsiScore = Annotated[WholeNumber, Field(ge=1, le=10)]


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    APP = "app"
    CHAT = "chat"
    WECHAT = "wechat"
    SMS = "sms"
    IN_PERSON = "in_person"
    FAX = "fax"
    SOCIAL = "social"
    OTHER = "other"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class SurveyKind(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


SCORE_RANGES: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}


class EventData(BaseModel):
    """Base of every event's data: frozen, no unknown fields, versioned for upcasting."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    wire_name: ClassVar[str]
    # Bump class_version and add a static ``upcast_v{n}_v{n+1}(state: dict)`` when
    # the shape changes; stored events are upcast on read (eventsourcing's convention).
    class_version: ClassVar[int] = 1
    personal_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.personal_fields = frozenset(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("personal")
        )


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

    _amount_fits_currency = field_validator("amount")(_check_minor_units)


class RefundIssued(EventData):
    """Money was paid back on one of the customer's orders."""

    wire_name: ClassVar[str] = "refund"

    order_id: Identifier
    # Optional: a refund is always in its order's currency; when given it must match.
    currency: CurrencyCode | None = None
    amount: Annotated[Decimal, Field(gt=0, max_digits=18)]
    reason: str | None = personal(max_length=FREE_TEXT_MAX)

    _amount_fits_currency = field_validator("amount")(_check_minor_units)


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


class CustomerErased(EventData):
    """The customer's personal data was erased (data key destroyed): the receipt, itself without personal data."""

    wire_name: ClassVar[str] = "customer_erased"

    reason: str = Field(min_length=1, max_length=FREE_TEXT_MAX)
    fields: list[ShortText] = Field(default_factory=list)  # the personal fields made unreadable, as type.field
    erased_through: Annotated[int, Field(ge=0)]  # the customer's last log position before the erasure
    key_destroyed: bool
    clear_events: list[int] = Field(default_factory=list)  # stored before encryption: still in clear in the log


EVENT_TYPES: dict[str, type[EventData]] = {
    cls.wire_name: cls
    for cls in (
        CustomerRegistered,
        CustomerUpdated,
        ContactLogged,
        PurchaseRecorded,
        RefundIssued,
        ComplaintFiled,
        ComplaintResponded,
        ComplaintResolved,
        ComplaintReopened,
        SurveyAnswered,
        EventVoided,
        EventCorrected,
        CustomerErased,
    )
}
