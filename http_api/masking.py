"""Personal data in responses: fields declared with ``personal()`` read ``***`` without the pii scope."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from http_api.models import EventOut

MASK = "***"


def personal_names_of(cls: type[BaseModel]) -> set[str]:
    """Return the fields of an event data class declared personal (``personal()`` marks them in their json_schema_extra)."""
    return {
        name
        for name, info in cls.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("personal")
    }


def catalogue_personal_names(data: BaseModel) -> set[str]:
    """Return every field name declared personal in any event type of the catalogue that data's class belongs to.

    A correction's changes name fields of its target, whose type the correction does not carry.
    """
    root = [cls for cls in type(data).__mro__ if "personal_fields" in vars(cls)][-1]
    names: set[str] = set()
    pending = [root]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        names |= personal_names_of(cls)
    return names


class Recorded(Protocol):
    """What the API reads of a ledger's recorded event."""

    @property
    def type(self) -> str: ...

    @property
    def data(self) -> BaseModel: ...

    def to_json_dict(self) -> dict[str, Any]: ...


def event_out(event: Recorded, *, pii: bool) -> EventOut:
    """Return a recorded event as the API shows it, with personal fields masked unless pii."""
    body = event.to_json_dict()
    if not pii:
        data = body["data"]
        for name in personal_names_of(type(event.data)) & data.keys():
            data[name] = MASK
        changes = data.get("changes")
        if isinstance(changes, dict) and event.type == "event_corrected":
            for name in catalogue_personal_names(event.data) & changes.keys():
                changes[name] = MASK
    return EventOut.model_validate(body)
