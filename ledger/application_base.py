"""What every part of the application shares: the store, the configuration and how as-of bounds are read."""

from __future__ import annotations

from datetime import date, datetime

from commands.timeutil import upper_bound
from ledger.config import LedgerConfig
from ledger.storage.store import EventStore

Moment = datetime | date | str | None


class LedgerBase:
    """The ledger's store and configuration, set by ``Ledger.__init__``."""

    store: EventStore
    config: LedgerConfig

    def upper_bound(self, moment: datetime | date | str) -> datetime:
        """Return the last instant an as-of bound covers: a date means its whole day (UTC), a naive time the configured zone."""
        return upper_bound(moment, self.config.ledger.tz)

    def _bound(self, moment: Moment) -> datetime | None:
        return None if moment is None else self.upper_bound(moment)
