"""Errors of the storage adapters and the application, in the one hierarchy rooted at ``commands.errors.LedgerError``."""

from __future__ import annotations

from commands.errors import ExitCode, InvalidArgumentError, LedgerError
from ledger.results import ImportSummary


class DatabaseUnavailableError(LedgerError):
    """The database could not be reached or opened, or a statement failed in the driver."""


class NoLedgerError(LedgerError):
    """A read command named a database that holds no ledger (a mistyped --db, say)."""

    def __init__(self, url: str):
        self.url = url
        super().__init__(f"no ledger at {url}: check --db (commands that store events create one)")


class UnknownSegmentError(InvalidArgumentError):
    """A filter named a customer segment that no customer's details give."""

    def __init__(self, segment: str, known: list[str]):
        self.segment, self.known = segment, known
        super().__init__(f"segment: no customer is in segment {segment!r} (segments: {', '.join(known) or 'none'})")


class LedgerClosedError(LedgerError):
    """A use case was called on a ledger after ``close()``."""

    def __init__(self) -> None:
        super().__init__("this ledger is closed: open a new Ledger")


def import_progress(summary: ImportSummary) -> str:
    """Describe what a failed import had committed, and how to complete it."""
    if not summary.stored and not summary.duplicates:
        return "nothing was stored; importing the file again starts it over"
    return (
        f"stored {summary.stored}, duplicates {summary.duplicates}, rejected {summary.rejected}"
        f" through line {summary.last_line}; importing the same file again completes it"
        " (the lines already stored are skipped as duplicates)"
    )


class ImportIncompleteError(LedgerError):
    """An import stopped part-way on an error of the database; its committed batches stay stored."""

    def __init__(self, summary: ImportSummary, cause: LedgerError):
        self.summary = summary
        self.cause = cause
        self.exit_code = cause.exit_code
        super().__init__(f"{cause}; import stopped: {import_progress(summary)}")


class ImportInterruptedError(KeyboardInterrupt):
    """Ctrl-C during an import: its committed batches stay stored (exit code ``ExitCode.INTERRUPTED``)."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, summary: ImportSummary):
        self.summary = summary
        super().__init__(f"import interrupted: {import_progress(summary)}")


class RebuildInterruptedError(KeyboardInterrupt):
    """Ctrl-C during a rebuild: the new tables are dropped and the old ones stay in use (``ExitCode.INTERRUPTED``)."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, projections: list[str], scanned: int, head: int):
        self.projections, self.scanned, self.head = projections, scanned, head
        super().__init__(
            f"rebuild of {', '.join(projections)} interrupted after {scanned} of {head} events;"
            " nothing was switched: the old tables stay in use, and the next rebuild starts over"
        )


class ClosedStore:
    """Stands in for the store of a closed ledger: every use raises LedgerClosedError."""

    def __getattr__(self, name: str) -> object:
        raise LedgerClosedError

    def close(self) -> None:
        """Closing again does nothing."""
