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
from commands.identifiers import InvalidIdentifierError
from commands.records import RecordedEvent
from commands.timeutil import parse_time_text
from ledger.application import Ledger
from ledger.audit.digest import DigestDocument, InvalidDigestError
from ledger.audit.event_check import VerificationFailedError
from ledger.audit.side_fold import SideTableMismatchError
from ledger.audit.verify import Digest, VerificationReport
from ledger.errors import DatabaseUnavailableError, RebuildInterruptedError, UnknownSegmentError
from ledger.identity.errors import IdentifierHeldError, NoHolderError, TooManyHoldersError, UnknownIdentifierError
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
from ledger.results_analytics import CohortRow, CohortsResult
from ledger.results_identity import Holding, WhoIs
from ledger.results_privacy import ConsentEntry, ConsentState, CustomerExport, ErasureReceipt, PrivacyReceipt, RotationResult
from ledger.stream_versions import VersionConflictError
from projections.lifecycle import STAGES
from projections.rates import MissingRateError, UnknownCurrencyError
from projections.rfm import SEGMENTS

__all__ = [
    "EVENT_TYPES",
    "SEGMENTS",
    "STAGES",
    "AppendResult",
    "ClvRow",
    "CohortRow",
    "CohortsResult",
    "ComplaintSummary",
    "ConfigurationError",
    "ConsentEntry",
    "ConsentState",
    "CustomerExport",
    "CustomerNotFoundError",
    "CustomerProfile",
    "CustomerSummary",
    "DatabaseUnavailableError",
    "Digest",
    "DigestDocument",
    "ErasureReceipt",
    "EventNotFoundError",
    "ExitCode",
    "Holding",
    "IdentifierHeldError",
    "ImportSummary",
    "InvalidDigestError",
    "InvalidEventError",
    "InvalidIdentifierError",
    "Ledger",
    "LedgerError",
    "MissingRateError",
    "NoHolderError",
    "PrivacyReceipt",
    "ProjectionError",
    "ProjectionOutdatedError",
    "ProjectionStatus",
    "QueryResult",
    "RebuildInterruptedError",
    "RebuildResult",
    "Receipt",
    "RecordedEvent",
    "RotationResult",
    "RuleViolationError",
    "SideTableMismatchError",
    "TooManyHoldersError",
    "TrendRow",
    "UnknownCurrencyError",
    "UnknownIdentifierError",
    "UnknownProjectionError",
    "UnknownSegmentError",
    "VerificationFailedError",
    "VerificationReport",
    "VersionConflictError",
    "WhoIs",
    "parse_time_text",
]
