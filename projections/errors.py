"""Errors of the read side, in the ledger's one hierarchy (the CLI maps them to exit codes)."""

from __future__ import annotations

from ledger.errors import ExitCode, LedgerError


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
