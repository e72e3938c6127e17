"""What the event catalogue is built from: the base model, field types, enums and ``personal()``.

Kept apart from the catalogue so that each group of events (core, privacy, identity)
can live in a module of its own and share one definition of a currency, a channel or
a personal field.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from commands.currencies import MINOR_UNITS
from commands.whole_numbers import WholeNumber


def personal(**constraints: Any) -> Any:
    """Declare an optional field that holds personal data (name, contact details, free text)."""
    return Field(default=None, json_schema_extra={"personal": True}, **constraints)


def _check_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValueError(f"unknown currency code: {code}")
    return code


def check_minor_units(amount: Decimal, info: ValidationInfo) -> Decimal:
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

    # Built on first validation, not at import: a query that validates no event data pays nothing for it.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False, defer_build=True)

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
