"""The ledger's one error hierarchy, each class mapped to a fixed exit code.

The domain's errors are defined here; the storage adapters add theirs in ``ledger.errors``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes shared by every CLI command."""

    OK = 0
    DATA_ERROR = 1
    USAGE_ERROR = 2
    VERIFICATION_FAILED = 3
    INTERRUPTED = 130


class LedgerError(Exception):
    """Base class for every error the ledger raises on purpose."""

    exit_code: ExitCode = ExitCode.DATA_ERROR


class InvalidEventError(LedgerError):
    """An event (or import line) failed validation; nothing of it is stored."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {reason}" if field else reason for field, reason in problems))


class RuleViolationError(InvalidEventError):
    """An event is well-formed but breaks a rule of its customer's stream."""

    def __init__(self, field: str, reason: str):
        super().__init__([(field, reason)])


class CustomerNotFoundError(LedgerError):
    """No event has ever been recorded for this customer key."""

    def __init__(self, customer: str):
        self.customer = customer
        super().__init__(f"unknown customer: {customer!r}")


class ConfigurationError(LedgerError):
    """The configuration (TOML file, environment, database URL) is unusable."""

    exit_code = ExitCode.USAGE_ERROR


class EventNotFoundError(LedgerError):
    """No stored event has this event_id."""

    def __init__(self, event_id: str):
        self.event_id = event_id
        super().__init__(f"unknown event_id: {event_id!r}")


class ProjectionError(LedgerError):
    """A read model cannot answer (not built, outdated, or a rebuild failed)."""


class UnknownProjectionError(ProjectionError):
    """No projection has this name."""

    exit_code = ExitCode.USAGE_ERROR

    def __init__(self, name: str, known: list[str]):
        super().__init__(f"unknown projection: {name!r} (known: {', '.join(known)})")


class ProjectionOutdatedError(ProjectionError):
    """The stored tables were built by another version of the projection's code."""

    def __init__(self, name: str, stored: int, code: int):
        super().__init__(
            f"projection {name} was built by version {stored}, the code is version {code}: "
            f"run `ledger projections rebuild {name}`"
        )


class EventIdConflictError(RuleViolationError):
    """An event_id already names a stored event that says something else: neither a duplicate nor storable."""

    def __init__(self, event_id: str, new: str, stored: str):
        self.event_id = event_id
        super().__init__(
            "event_id", f"{event_id!r} is already stored for another event ({stored}); this one is {new}: use a new event_id"
        )


class InvalidArgumentError(LedgerError):
    """A use case was called with an argument of the wrong type or shape (the Python API's misuse)."""

    exit_code = ExitCode.USAGE_ERROR
