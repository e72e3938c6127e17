"""Every event type's envelope and data in one pydantic model, chosen by its type: one validation per event.

``commands.inputs.parse_event`` validates a valid event in one pass with it (from a JSON
line's bytes, or a mapping), and falls back to validating step by step, which says each
problem as it always has, when this pass fails.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
)

from commands.event_fields import EventData
from commands.events import EVENT_TYPES, PurchaseRecorded
from commands.input_problems import quote

EnvelopeText = Annotated[str, Field(min_length=1, max_length=200)]
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _customer(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate a customer key as text, or pass a one-entry mapping naming the customer by an identifier.

    The identifier's kind and value are checked when it is resolved, against the configured kinds.
    """
    if not isinstance(value, dict):
        return handler(value)
    if len(value) != 1:
        raise ValueError(f"a customer named by an identifier takes one KIND: VALUE entry, got {len(value)}")
    ((kind, text),) = value.items()
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ValueError(f"not an identifier kind: {quote(kind)}")
    if not isinstance(text, str) or len(text) > 320:
        raise ValueError(f"the {kind} must be text of at most 320 characters")
    return {kind: text}


# A key, or one identifier naming the holder: {"email": "ann@example.com"} (resolved when appended).
CustomerText = Annotated[EnvelopeText, WrapValidator(_customer)]


def addressed(customer: str | dict[str, str]) -> tuple[str, tuple[str, str] | None]:
    """Return the customer key and, for a customer named by an identifier, no key yet and (kind, value)."""
    if isinstance(customer, str):
        return customer, None
    ((kind, value),) = customer.items()
    return "", (kind, value)


def time_value(value: Any) -> Any:
    """Pass a time as text or a date (validated later, by business_time); refuse anything else, numbers above all."""
    if value is None or isinstance(value, str | date):
        return value
    raise ValueError(f"expected an ISO 8601 date or datetime as text, got {type(value).__name__} {quote(value)}")


class _Envelope(BaseModel):
    """EventInput's envelope, for the models of the union below (each adds its type and data)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerText
    occurred_at: Annotated[datetime | date | str | None, BeforeValidator(time_value)] = None
    event_id: EnvelopeText | None = None
    source: EnvelopeText | None = None
    actor: EnvelopeText | None = None
    correlation_id: EnvelopeText | None = None


def _default_currency(fields: Any, info: ValidationInfo) -> Any:
    """Fill in the configuration's currency (the validation's context) for a purchase that names none."""
    if isinstance(fields, dict) and fields.get("currency") in (None, ""):
        return {**fields, "currency": (info.context or {}).get("currency")}
    return fields


def _typed_envelope(wire_name: str, data_cls: type[EventData], fill_currency: bool) -> Any:
    data_type: Any = data_cls
    if fill_currency and data_cls is PurchaseRecorded:
        data_type = Annotated[data_cls, BeforeValidator(_default_currency)]
    tag: Any = Literal[wire_name]  # type: ignore[valid-type]
    return create_model(
        f"{data_cls.__name__}Input",
        __base__=_Envelope,
        type=(tag, ...),
        data=(data_type, Field(default_factory=dict, validate_default=True)),
    )


@functools.cache  # built at the first event parsed, not at import: commands that parse nothing start sooner
def envelopes(fill_currency: bool) -> TypeAdapter[Any]:
    """Every event type's envelope and data in one model, chosen by its type, to validate an event in one pass.

    Filling in a purchase's currency makes pydantic hand the data over as Python objects (half as
    fast again), so a line that names a currency is validated without: if it is empty, the step-by-step
    way fills it in.
    """
    one_of: Any = Union[tuple(_typed_envelope(name, cls, fill_currency) for name, cls in EVENT_TYPES.items())]  # noqa: UP007
    return TypeAdapter(Annotated[one_of, Field(discriminator="type")])


# Where pydantic's JSON reader and orjson's (the step-by-step way's) differ on a valid line: NaN, Infinity, 1e400
# (orjson refuses them), integers beyond 64 bits (orjson makes them floats), nesting (refused beyond MAX_NESTING).
# Only free-form values (a correction's changes) and unbounded integers (an erasure's positions) can hold these and
# still validate, so those two types go the step-by-step way; the NUL escape is refused wherever it is.
_STEP_BY_STEP = (b'"event_corrected"', b'"customer_erased"', b"\\u0000")


def plain_json(line: bytes) -> bool:
    """Whether a line may be validated from its bytes: it cannot hold what the two JSON readers read apart.

    The test is on the bytes, so a text that merely contains these words goes the step-by-step way too.
    """
    corrected, erased, nul = _STEP_BY_STEP
    return not (corrected in line or erased in line or nul in line)
