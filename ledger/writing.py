"""The write path's handler: deduplicate by event_id, check rules, record; one transaction per batch."""

from __future__ import annotations

from dataclasses import replace

from commands.errors import InvalidEventError, RuleViolationError
from commands.events import EventCorrected, EventVoided
from commands.records import NewEvent
from commands.rules import check_event
from ledger.results import AppendResult, Rejection
from ledger.storage.write_transaction import WriteTransaction


class BatchRejectedError(RuleViolationError):
    """A strict batch had an event that broke a rule, so none of it was stored."""

    def __init__(self, rejection: Rejection):
        self.rejection = rejection
        InvalidEventError.__init__(self, rejection.error.problems)


def append_batch(transaction: WriteTransaction, events: list[NewEvent], *, strict: bool = False) -> AppendResult:
    """Append events in order within an open write transaction.

    A duplicate event_id (already stored, or earlier in the batch) is skipped.
    An event that breaks a rule is rejected alone, or, when strict, raises
    BatchRejectedError so that the caller's transaction stores nothing.
    """
    result = AppendResult()
    taken = transaction.prepare(events)
    accepted: list[NewEvent] = []
    # Only batches with voids or corrections need earlier events of the batch as targets.
    keep_targets = any(isinstance(event.data, EventVoided | EventCorrected) for event in events)
    for index, event in enumerate(events):
        # Only a stored event claims its id: a rejected one leaves it free for a later, valid line.
        if event.event_id in taken:
            result.duplicates.append(event.event_id)
            continue
        state = transaction.streams[event.customer]
        try:
            data = check_event(state, event.data)
        except RuleViolationError as error:
            rejection = Rejection(index, event.event_id, error)
            if strict:
                raise BatchRejectedError(rejection) from None
            result.rejected.append(rejection)
            continue
        state.apply(data)
        taken.add(event.event_id)
        accepted.append(event if data is event.data else replace(event, data=data))
        if keep_targets:
            transaction.remember(accepted[-1])
    result.stored = transaction.record(accepted)
    return result
