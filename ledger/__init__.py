"""Event-sourced customer-interaction ledger."""

from typing import TYPE_CHECKING, Any

from ledger.errors import (
    ConfigurationError,
    CustomerNotFoundError,
    ExitCode,
    InvalidEventError,
    LedgerError,
    RuleViolationError,
)

if TYPE_CHECKING:
    from ledger.api import Ledger, Receipt

__all__ = [
    "ConfigurationError",
    "CustomerNotFoundError",
    "ExitCode",
    "InvalidEventError",
    "Ledger",
    "LedgerError",
    "Receipt",
    "RuleViolationError",
]


def __getattr__(name: str) -> Any:
    # Imported on first use: ledger.api depends on commands/, which depends on ledger's modules.
    if name in ("Ledger", "Receipt"):
        from ledger import api

        return getattr(api, name)
    raise AttributeError(f"module 'ledger' has no attribute {name!r}")
