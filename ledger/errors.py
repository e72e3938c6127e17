"""Errors of the storage adapters, in the one hierarchy rooted at ``commands.errors.LedgerError``."""

from __future__ import annotations

from commands.errors import LedgerError


class DatabaseUnavailableError(LedgerError):
    """The database could not be reached or opened."""
