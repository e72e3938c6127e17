"""The eventsourcing library's own ``ProjectionRunner`` follows events appended through ``Ledger.append``.

On SQLite it follows the recorder's polling subscription, on PostgreSQL the library's
LISTEN/NOTIFY one; events reach the projection as ``RecordedEvent`` objects decoded by the
ledger's mapper, with the library's tracking of their log positions.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner

from commands.records import RecordedEvent
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.storage.persistence import LedgerApplication


class EventCounts(POPOTrackingRecorder):
    """A materialised view in memory: events seen per customer and type, tracked by log position."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[tuple[str, str]] = Counter()
        self.positions: list[int] = []

    def count(self, event: RecordedEvent, tracking: Tracking) -> None:
        """Count an event and record its position, at most once."""
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            self._insert_tracking(tracking)
            self.seen[(event.customer, event.type)] += 1
            self.positions.append(event.position)


class CountEvents(Projection[EventCounts]):
    """Count every event of the ledger."""

    name = "counts"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Count a recorded event."""
        assert isinstance(domain_event, RecordedEvent)
        self.view.count(domain_event, tracking)


def test_the_library_projection_runner_follows_appends(db_url):
    env = {"SQLALCHEMY_URL": db_url, "COUNTS_PERSISTENCE_MODULE": "eventsourcing.popo"}
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        ledger.append("contact", "C-1", {"channel": "web"}, event_id="before")
        with ProjectionRunner(
            application_class=LedgerApplication, projection_class=CountEvents, view_class=EventCounts, env=env
        ) as runner:
            runner.wait(1, timeout=10)  # what was there when it started
            ledger.append("contact", "C-1", {"channel": "phone"})
            ledger.append("purchase", "C-2", {"order_id": "O-1", "amount": "5"})
            [last] = ledger.append_many([{"type": "contact", "customer": "C-2", "data": {"channel": "web"}}]).stored
            runner.wait(last.position, timeout=10)
            view = runner.view
            assert view.positions == [1, 2, 3, 4]
            assert view.seen == Counter({("C-1", "contact"): 2, ("C-2", "purchase"): 1, ("C-2", "contact"): 1})
            assert view.max_tracking_id(LedgerApplication.name) == 4
