"""Which values of an event's data are personal, and sealing or opening them with a customer's cipher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands.events import EVENT_TYPES, EventCorrected, EventData
from ledger.privacy.cipher import FieldCipher, field_context, is_sealed

# A correction's changes name fields of its target, whose type the correction does not carry.
PERSONAL_NAMES = frozenset().union(*(cls.personal_fields for cls in EVENT_TYPES.values()))
CHANGES = "changes"


def carries_personal_data(data: EventData) -> bool:
    """Whether an event holds a value in a personal field (a correction: also in its changes)."""
    if any(getattr(data, name) is not None for name in data.personal_fields):
        return True
    return isinstance(data, EventCorrected) and any(
        data.changes.get(name) is not None for name in PERSONAL_NAMES.intersection(data.changes)
    )


def personal_values(data_cls: type[EventData], data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return the (field path, stored value) pairs of personal data in an event's stored data."""
    found = [(name, data[name]) for name in data_cls.personal_fields.intersection(data) if data[name] is not None]
    changes = data.get(CHANGES) if data_cls is EventCorrected else None
    if isinstance(changes, dict):
        found += [(f"{CHANGES}.{name}", changes[name]) for name in PERSONAL_NAMES.intersection(changes)]
    return [(path, value) for path, value in found if value is not None]


def sealer(cipher: FieldCipher) -> Callable[[str, type[EventData], dict[str, Any]], dict[str, Any]]:
    """Return the function that seals the personal values of an event's dumped data in place, before it is hashed."""

    def seal(event_id: str, data_cls: type[EventData], data: dict[str, Any]) -> dict[str, Any]:
        for name in data_cls.personal_fields.intersection(data):
            data[name] = cipher.seal(str(data[name]), field_context(event_id, name))
        changes = data.get(CHANGES) if data_cls is EventCorrected else None
        if isinstance(changes, dict):
            for name in PERSONAL_NAMES.intersection(changes):
                if isinstance(changes[name], str):
                    changes[name] = cipher.seal(changes[name], field_context(event_id, f"{CHANGES}.{name}"))
        return data

    return seal


def open_in_place(cipher: FieldCipher | None, event_id: str, data_cls: type[EventData], data: dict[str, Any]) -> None:
    """Replace sealed values of stored data by their text; drop those that do not open (no key: erased or none loaded)."""
    for name in data_cls.personal_fields.intersection(data):
        if is_sealed(data[name]):
            if cipher is None:
                del data[name]
            else:
                data[name] = cipher.open(data[name], field_context(event_id, name))
