"""Errors of personal-data protection, in the one hierarchy rooted at ``commands.errors.LedgerError``."""

from __future__ import annotations

from commands.errors import LedgerError, RuleViolationError


class MasterKeyError(LedgerError):
    """The master key is missing, unreadable or not the one that wraps this ledger's data keys (exit 1)."""


class CustomerErasedError(RuleViolationError):
    """The customer was erased: the ledger records no personal data and no consent for them again."""

    def __init__(self, customer: str, what: str):
        super().__init__("customer", f"customer {customer!r} was erased: {what} is refused")


class AlreadyErasedError(LedgerError):
    """The customer was erased before; the earlier erasure event is the receipt."""

    def __init__(self, customer: str):
        super().__init__(f"customer {customer!r} is already erased")
