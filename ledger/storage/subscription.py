"""Following the log on SQLite, which has no LISTEN/NOTIFY: a subscription that polls by position."""

from __future__ import annotations

from collections.abc import Sequence
from threading import Event, Thread
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, ListenNotifySubscription

# Seconds between two polls: a poll is one indexed range scan after the last position seen.
POLL_INTERVAL_S = 0.1


class PollingSubscription(ListenNotifySubscription[ApplicationRecorder]):
    """The library's LISTEN/NOTIFY subscription with a timer in place of the notifications.

    The library's pull thread reads ``select_notifications`` after the last position it
    handed on whenever it is woken; here a thread wakes it every ``POLL_INTERVAL_S``.
    """

    def __init__(
        self,
        recorder: ApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
        *,
        interval: float = POLL_INTERVAL_S,
    ) -> None:
        self._interval = interval
        self._stopped = Event()  # before the library's pull thread starts: an error there calls stop()
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._poll_thread = Thread(target=self._poll, daemon=True)
        self._poll_thread.start()

    def stop(self) -> None:
        """Stop the subscription and its timer."""
        super().stop()
        self._stopped.set()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._poll_thread.join()

    def _poll(self) -> None:
        while not self._stopped.wait(self._interval):
            self._has_been_notified.set()
