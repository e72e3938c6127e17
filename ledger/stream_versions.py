"""Optimistic concurrency on a customer's stream: store a batch only if the stream is still at the version expected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from commands.errors import InvalidArgumentError, LedgerError
from commands.records import NewEvent
from commands.stream_state import StreamState


class VersionConflictError(LedgerError):
    """A write expected a customer's stream at a version it has moved from; nothing was stored."""

    def __init__(self, customer: str, expected: int, current: int):
        self.customer, self.expected, self.current = customer, expected, current
        super().__init__(f"customer {customer!r} is at version {current}, not {expected}; nothing was stored")


def check_expected_version(streams: Mapping[str, StreamState], events: Sequence[NewEvent], expected: int) -> None:
    """Raise VersionConflictError unless the events' one customer's stream is at expected (0: a new customer).

    Called inside the write transaction, with the heads it loaded under the log's write lock,
    so that of two writers expecting the same version exactly one stores.
    """
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise InvalidArgumentError(f"expected_version: a whole number from 0, got {expected!r}")
    customers = {event.customer for event in events}
    if not customers:
        return
    if len(customers) != 1:
        raise InvalidArgumentError(f"expected_version: the events must be of one customer, got {len(customers)}")
    (customer,) = customers
    # A stream's version is its last event's (voids keep their targets in the stream).
    current = streams[customer].version
    if current != expected:
        raise VersionConflictError(customer, expected, current)
