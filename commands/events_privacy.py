"""Events of the privacy use cases: erasure receipts, consent per purpose and restriction of processing.

None of them carries personal data. They are final: a consent or a restriction is changed
by the next grant, withdrawal or lifting, never by voiding or correcting the earlier one,
so that the record of what the customer agreed to, and when, stays as it was made.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from commands.event_fields import FREE_TEXT_MAX, EventData, ShortText

# A purpose is a name like marketing_email; which purposes exist is configured ([privacy] consent_purposes).
Purpose = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
DEFAULT_PURPOSES = ("marketing_email", "marketing_sms", "profiling", "third_party_sharing")


class CustomerErased(EventData):
    """The customer's personal data was erased (data key destroyed): the receipt, itself without personal data."""

    wire_name: ClassVar[str] = "customer_erased"

    reason: str = Field(min_length=1, max_length=FREE_TEXT_MAX)
    fields: list[ShortText] = Field(default_factory=list)  # the personal fields made unreadable, as type.field
    erased_through: Annotated[int, Field(ge=0)]  # the customer's last log position before the erasure
    key_destroyed: bool
    clear_events: list[int] = Field(default_factory=list)  # stored before encryption: still in clear in the log


class ConsentGranted(EventData):
    """The customer agreed to one purpose, through some source (a form, a call), to one version of its text."""

    wire_name: ClassVar[str] = "consent_granted"

    purpose: Purpose
    source: ShortText  # where the customer agreed: signup_form, call_centre, ...
    text_version: ShortText  # the version of the consent text they were shown


class ConsentWithdrawn(EventData):
    """The customer withdrew their consent to one purpose (always accepted, even after erasure)."""

    wire_name: ClassVar[str] = "consent_withdrawn"

    purpose: Purpose
    source: ShortText | None = None  # where they withdrew it
    text_version: ShortText | None = None


class ProcessingRestricted(EventData):
    """The customer's data may be stored but not processed: left out of segments, exports, cohorts and reports."""

    wire_name: ClassVar[str] = "processing_restricted"

    reason: str = Field(min_length=1, max_length=FREE_TEXT_MAX)


class ProcessingUnrestricted(EventData):
    """A restriction of processing was lifted."""

    wire_name: ClassVar[str] = "processing_unrestricted"

    reason: str | None = Field(default=None, min_length=1, max_length=FREE_TEXT_MAX)


PRIVACY_EVENTS: tuple[type[EventData], ...] = (
    CustomerErased,
    ConsentGranted,
    ConsentWithdrawn,
    ProcessingRestricted,
    ProcessingUnrestricted,
)
# Not voided or corrected: see the module's docstring.
FINAL_TYPES = frozenset(cls.wire_name for cls in PRIVACY_EVENTS)
