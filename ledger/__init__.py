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
from ledger.audit.digest import DigestDocument, InvalidDigestError
from ledger.audit.event_check import VerificationFailedError
from ledger.audit.verify import Digest, VerificationReport
from ledger.errors import DatabaseUnavailableError
from ledger.results import (
    AppendResult,
    ClvRow,
    ComplaintSummary,
    CustomerProfile,
    CustomerSummary,
    ImportSummary,
    ProjectionStatus,
    QueryResult,
    RebuildResult,
    Receipt,
    TrendRow,
)
from projections.lifecycle import STAGES
from projections.rfm import SEGMENTS

__all__ = [
    "EVENT_TYPES",
    "SEGMENTS",
    "STAGES",
    "AppendResult",
    "ClvRow",
    "ComplaintSummary",
    "ConfigurationError",
    "CustomerNotFoundError",
    "CustomerProfile",
    "CustomerSummary",
    "DatabaseUnavailableError",
    "Digest",
    "DigestDocument",
    "EventNotFoundError",
    "ExitCode",
    "ImportSummary",
    "InvalidDigestError",
    "InvalidEventError",
    "Ledger",
    "LedgerError",
    "ProjectionError",
    "ProjectionOutdatedError",
    "ProjectionStatus",
    "QueryResult",
    "RebuildResult",
    "Receipt",
    "RecordedEvent",
    "RuleViolationError",
    "TrendRow",
    "UnknownProjectionError",
    "VerificationFailedError",
    "VerificationReport",
    "parse_time_text",
]
