"""The write path's handler: deduplicate by event_id, check rules, record; one transaction per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from commands.errors import InvalidEventError, RuleViolationError
from commands.events import EventCorrected, EventVoided
from commands.records import NewEvent
from commands.rules import check_event
from ledger.results import AppendResult, Rejection
from ledger.storage.store import EventStore
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


def append_events(
    store: EventStore, parse: Callable[[Any], NewEvent], events: Iterable[Any], *, strict: bool = False
) -> AppendResult:
    """Validate raw events (NewEvents pass as they are) and append them in one transaction.

    Invalid events and rule violations are rejected one by one, with their index in
    the caller's list, or, when strict, the first one raises and nothing is stored.
    """
    parsed: list[NewEvent] = []
    invalid: list[Rejection] = []
    for index, raw in enumerate(events):
        if isinstance(raw, NewEvent):
            parsed.append(raw)
            continue
        try:
            parsed.append(parse(raw))
        except InvalidEventError as error:
            if strict:
                raise
            invalid.append(Rejection(index, _event_id_of(raw), error))
    rejected_early = {r.index for r in invalid}
    positions = [i for i in range(len(parsed) + len(invalid)) if i not in rejected_early]
    with store.write() as transaction:
        result = append_batch(transaction, parsed, strict=strict)
    # Report indexes of the caller's list, not of the valid subset.
    result.rejected = sorted(
        invalid + [Rejection(positions[r.index], r.event_id, r.error) for r in result.rejected], key=lambda r: r.index
    )
    return result


def _event_id_of(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("event_id") or "")
    return str(getattr(raw, "event_id", "") or "")
