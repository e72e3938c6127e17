"""The errors of identifiers: unknown, held by another customer, or passed through too many customers."""

from __future__ import annotations

from commands.errors import CustomerNotFoundError, RuleViolationError


class UnknownIdentifierError(RuleViolationError):
    """An event named its customer by an identifier nobody holds, and unknown identifiers are rejected."""

    def __init__(self, kind: str):
        super().__init__("customer", f"no customer holds this {kind} (use --on-unknown create to create one)")


class IdentifierHeldError(RuleViolationError):
    """An identifier is linked to another customer (one holder at a time), or unlinked by one that does not hold it."""

    def __init__(self, kind: str, holder: str | None, *, unlinking: bool):
        self.holder = holder
        if unlinking:
            held = "nobody" if holder is None else f"customer {holder!r}"
            super().__init__("data.value", f"this {kind} is held by {held}, not by this customer")
        else:
            super().__init__("data.value", f"this {kind} is held by customer {holder!r}: unlink it there first")


class TooManyHoldersError(RuleViolationError):
    """An identifier would pass to more customers than its kind allows ([identity] max_holders)."""

    def __init__(self, kind: str, limit: int):
        reason = f"this {kind} has been held by {limit} customers, the most one may be ([identity] max_holders)"
        super().__init__("data.value", reason)


class NoHolderError(CustomerNotFoundError):
    """A read named its customer by an identifier that nobody holds."""

    def __init__(self, kind: str):
        self.customer = ""
        Exception.__init__(self, f"no customer holds this {kind}")
