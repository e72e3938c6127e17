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
from commands.events import EVENT_TYPES
from commands.records import RecordedEvent
from commands.timeutil import parse_time_text
from ledger.application import Ledger
from ledger.errors import DatabaseUnavailableError
from ledger.results import Receipt
from projections.lifecycle import STAGES
from projections.rfm import SEGMENTS

__all__ = [
    "EVENT_TYPES",
    "SEGMENTS",
    "STAGES",
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
    "RecordedEvent",
    "RuleViolationError",
    "UnknownProjectionError",
    "parse_time_text",
]
