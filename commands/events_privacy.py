"""Events of the privacy use cases: erasure receipts (and, with them, consent and restriction)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from commands.event_fields import FREE_TEXT_MAX, EventData, ShortText


class CustomerErased(EventData):
    """The customer's personal data was erased (data key destroyed): the receipt, itself without personal data."""

    wire_name: ClassVar[str] = "customer_erased"

    reason: str = Field(min_length=1, max_length=FREE_TEXT_MAX)
    fields: list[ShortText] = Field(default_factory=list)  # the personal fields made unreadable, as type.field
    erased_through: Annotated[int, Field(ge=0)]  # the customer's last log position before the erasure
    key_destroyed: bool
    clear_events: list[int] = Field(default_factory=list)  # stored before encryption: still in clear in the log


PRIVACY_EVENTS: tuple[type[EventData], ...] = (CustomerErased,)
