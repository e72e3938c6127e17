"""The application's privacy use cases: erasure, consent, restriction of processing, portability and key rotation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from commands.errors import CustomerNotFoundError
from commands.events_privacy import ConsentGranted, ProcessingRestricted
from commands.inputs import parse_event
from commands.timeutil import format_utc
from ledger.application_base import LedgerBase, Moment
from ledger.privacy import erasure, portability, rotation, states
from ledger.privacy.erasure import ErasureReceipt
from ledger.privacy.master_key import MasterKey, read_key_file
from ledger.privacy.reveal import CustomerKeys
from ledger.results_privacy import (
    ConsentEntry,
    ConsentState,
    CustomerExport,
    PrivacyReceipt,
    RotationResult,
)
from ledger.writing import append_batch


class LedgerPrivacy(LedgerBase):
    """Personal-data use cases (see docs/privacy.md)."""

    def erase(self, customer: str, reason: str, *, actor: str | None = None, source: str | None = None) -> ErasureReceipt:
        """Erase a customer's personal data: destroy their data key and append the ``customer_erased`` receipt.

        Afterwards reads show their personal fields as ``[erased]``; figures are unchanged and
        ``verify`` passes. New events with personal data, or new consents, for them are refused.
        """
        return erasure.erase(self.store, customer, reason, actor=actor, source=source)

    # --- consent ---

    def grant_consent(
        self,
        customer: str,
        purpose: str,
        *,
        source: str,
        text_version: str,
        occurred_at: Moment = None,
        actor: str | None = None,
    ) -> PrivacyReceipt:
        """Record that the customer agreed to a purpose, where and to which version of its text (refused after erasure)."""
        data = {"purpose": purpose, "source": source, "text_version": text_version}
        return self._record("consent_granted", customer, data, occurred_at, actor)

    def withdraw_consent(
        self, customer: str, purpose: str, *, source: str | None = None, occurred_at: Moment = None, actor: str | None = None
    ) -> PrivacyReceipt:
        """Record that the customer withdrew their consent to a purpose (always accepted)."""
        return self._record("consent_withdrawn", customer, {"purpose": purpose, "source": source}, occurred_at, actor)

    def consent(self, customer: str, *, as_of: Moment = None, known_at: Moment = None) -> ConsentState:
        """Return the customer's consent per purpose as of a date (default now), each with the event that set it."""
        facts = states.read_facts(self.store, states.CONSENT_TYPES + states.RESTRICTION_TYPES, customer)
        if not facts and not self.store.stream(customer):
            raise CustomerNotFoundError(customer)
        restricted = _restricted(f for f in facts if f.type in states.RESTRICTION_WIRE_NAMES)
        consents = [f for f in facts if f.type not in states.RESTRICTION_WIRE_NAMES]
        deciding = states.consents(states.known(consents, self._bound(as_of), self._bound(known_at)))
        purposes = list(dict.fromkeys([*self.config.privacy.consent_purposes, *(p for _, p in deciding)]))
        entries = []
        for purpose in purposes:
            fact = deciding.get((customer, purpose))
            if fact is None:
                entries.append(ConsentEntry(purpose, "none"))
                continue
            entries.append(
                ConsentEntry(
                    purpose=purpose,
                    state="granted" if fact.type == ConsentGranted.wire_name else "withdrawn",
                    event_id=fact.event_id,
                    position=fact.position,
                    occurred_at=format_utc(fact.occurred_at),
                    source=fact.data.get("source"),
                    text_version=fact.data.get("text_version"),
                )
            )
        erased = CustomerKeys(self.store.engine, self.store.keys).of(customer)[1]
        as_of_text = None if as_of is None else str(as_of)
        return ConsentState(customer, as_of_text, entries, restricted, erased)

    # --- restriction of processing ---

    def restrict(self, customer: str, reason: str, *, actor: str | None = None) -> PrivacyReceipt:
        """Restrict the processing of a customer's data: kept and still recorded, left out of segments, exports and reports."""
        return self._record("processing_restricted", customer, {"reason": reason}, None, actor)

    def unrestrict(self, customer: str, reason: str | None = None, *, actor: str | None = None) -> PrivacyReceipt:
        """Lift a restriction of processing."""
        return self._record("processing_unrestricted", customer, {"reason": reason}, None, actor)

    def restricted_customers(self) -> list[str]:
        """Return the customers whose processing is restricted now."""
        return sorted(states.restricted_customers(self.store))

    # --- portability and keys ---

    def export_customer(self, customer: str, directory: str | Path) -> CustomerExport:
        """Write everything the ledger holds about a customer, decrypted, into a new directory (JSON, CSV per type, manifest)."""
        folder = Path(directory)
        events, files, erased, head = portability.export_customer(self.store, customer, folder)
        return CustomerExport(customer, str(folder), events, files, erased, head)

    def rotate_master_key(
        self, new_key: MasterKey | str | Path, *, on_progress: Callable[[int, int], None] | None = None
    ) -> RotationResult:
        """Rewrap every data key under a new master key (a MasterKey or a key file) in one transaction; events stay as they are.

        Afterwards only the new master key opens the ledger's data keys: configure it, then destroy the old one.
        """
        new = new_key if isinstance(new_key, MasterKey) else read_key_file(Path(new_key))
        return rotation.rotate(self.store, new, on_progress=on_progress)

    def _record(self, kind: str, customer: str, data: dict[str, Any], occurred_at: Moment, actor: str | None) -> PrivacyReceipt:
        given = {k: v for k, v in data.items() if v is not None}
        raw = {"type": kind, "customer": customer, "occurred_at": occurred_at, "actor": actor, "data": given}
        event = parse_event(raw, self.config.ledger, datetime.now(UTC))
        with self.store.write() as transaction:
            result = append_batch(transaction, [event], strict=True)
        position = result.stored[0].position if result.stored else self.store.position_of(event.event_id)
        restricted = _restricted(states.read_facts(self.store, states.RESTRICTION_TYPES, customer))
        return PrivacyReceipt(customer, event.event_id, position, restricted, duplicate=not result.stored)


def _restricted(facts: Any) -> bool:
    """Whether the last restriction event of a customer's (in log order) restricts."""
    last = None
    for fact in facts:
        last = fact.type
    return last == ProcessingRestricted.wire_name
