"""Events of a customer's identity: an identifier (e-mail, phone, loyalty card...) linked to or unlinked from them.

The value is personal data (encrypted like other personal fields); the ledger keeps an
index of who holds each identifier beside the log (``ledger.identity``). They are final:
an identifier linked by mistake is unlinked by the next event, never voided or corrected,
so that who held an identifier, and since when, stays as it was recorded.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from commands.event_fields import EventData
from commands.identifiers import KIND_PATTERN, MAX_VALUE

IdentifierKind = Annotated[str, Field(pattern=KIND_PATTERN)]


class IdentifierLinked(EventData):
    """An identifier now belongs to this customer (stored normalised); it belongs to one customer at a time."""

    wire_name: ClassVar[str] = "identifier_linked"

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=MAX_VALUE, json_schema_extra={"personal": True})


class IdentifierUnlinked(EventData):
    """An identifier no longer belongs to this customer (it may then be linked to another)."""

    wire_name: ClassVar[str] = "identifier_unlinked"

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=MAX_VALUE, json_schema_extra={"personal": True})


IDENTITY_EVENTS: tuple[type[EventData], ...] = (IdentifierLinked, IdentifierUnlinked)
IDENTITY_TYPES = frozenset(cls.wire_name for cls in IDENTITY_EVENTS)
