"""Results of the privacy use cases: consent per purpose, restriction, key rotation and a customer's export."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.privacy.erasure import ErasureReceipt
from ledger.privacy.rotation import RotationResult


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    """One purpose's consent as of a date: granted, withdrawn or never asked (``none``), and the event that set it."""

    purpose: str
    state: str
    event_id: str | None = None
    position: int | None = None
    occurred_at: str | None = None
    source: str | None = None
    text_version: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentState:
    """A customer's consent per configured purpose as of a date, and whether they are restricted or erased."""

    customer: str
    as_of: str | None
    purposes: list[ConsentEntry]
    restricted: bool
    erased: bool


@dataclass(frozen=True, slots=True)
class PrivacyReceipt:
    """A consent or restriction event recorded: where, and whether the customer's processing is restricted now."""

    customer: str
    event_id: str
    position: int
    restricted: bool
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class CustomerExport:
    """What ``export_customer`` wrote: the files, how many events, and whether the customer was erased."""

    customer: str
    directory: str
    events: int
    files: list[str] = field(default_factory=list)
    erased: bool = False
    head_position: int = 0


__all__ = ["ConsentEntry", "ConsentState", "CustomerExport", "ErasureReceipt", "PrivacyReceipt", "RotationResult"]
