"""Personal data in responses: the ledger masks it (``personal=False``) unless the key has the pii scope.

Masking is the ledger's own (``ledger.privacy.masking``, through ``Ledger.timeline`` and
``Ledger.log``), so that the CLI, the Python API and HTTP show personal data alike.
"""

from __future__ import annotations

from typing import Any, Protocol

from http_api.models import EventOut


class Recorded(Protocol):
    """What the API reads of a ledger's recorded event."""

    def to_json_dict(self) -> dict[str, Any]: ...


def event_out(event: Recorded) -> EventOut:
    """Return a recorded event as the API shows it (masked or not as the ledger read it)."""
    return EventOut.model_validate(event.to_json_dict())
