"""The application's privacy use cases: erasure of a customer's personal data."""

from __future__ import annotations

from ledger.application_base import LedgerBase
from ledger.privacy import erasure
from ledger.privacy.erasure import ErasureReceipt


class LedgerPrivacy(LedgerBase):
    """Personal-data use cases (see docs/privacy.md)."""

    def erase(self, customer: str, reason: str, *, actor: str | None = None, source: str | None = None) -> ErasureReceipt:
        """Erase a customer's personal data: destroy their data key and append the ``customer_erased`` receipt.

        Afterwards reads show their personal fields as ``[erased]``; figures are unchanged and
        ``verify`` passes. New events with personal data for them are refused.
        """
        return erasure.erase(self.store, customer, reason, actor=actor, source=source)
