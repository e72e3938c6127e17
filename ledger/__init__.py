"""Event-sourced customer-interaction ledger."""

from ledger.api import Ledger, Receipt
from ledger.errors import (
    ConfigurationError,
    CustomerNotFoundError,
    ExitCode,
    InvalidEventError,
    LedgerError,
    RuleViolationError,
)

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
