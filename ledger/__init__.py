"""Event-sourced customer-interaction ledger: ``from ledger import Ledger``."""

from commands.errors import (
    ConfigurationError,
    CustomerNotFoundError,
    EventNotFoundError,
    ExitCode,
    InvalidEventError,
    LedgerError,
    ProjectionError,
    ProjectionOutdatedError,
    RuleViolationError,
    UnknownProjectionError,
)
from ledger.application import Ledger
from ledger.errors import DatabaseUnavailableError
from ledger.results import Receipt

__all__ = [
    "ConfigurationError",
    "CustomerNotFoundError",
    "DatabaseUnavailableError",
    "EventNotFoundError",
    "ExitCode",
    "InvalidEventError",
    "Ledger",
    "LedgerError",
    "ProjectionError",
    "ProjectionOutdatedError",
    "Receipt",
    "RuleViolationError",
    "UnknownProjectionError",
]
