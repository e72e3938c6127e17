"""The write path's handler: deduplicate by event_id, check rules, record; one transaction per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from commands.errors import EventIdConflictError, InvalidEventError, RuleViolationError
from commands.events import EventCorrected, EventVoided
from commands.records import NewEvent
from commands.rules import check_event
from ledger.results import AppendResult, Rejection
from ledger.storage.side_tables import content_hash
from ledger.storage.store import EventStore
from ledger.storage.write_transaction import WriteTransaction


class BatchRejectedError(RuleViolationError):
    """A strict batch had an event that broke a rule, so none of it was stored."""

    def __init__(self, rejection: Rejection):
        self.rejection = rejection
        InvalidEventError.__init__(self, rejection.error.problems)


def append_batch(transaction: WriteTransaction, events: list[NewEvent], *, strict: bool = False) -> AppendResult:
    """Append events in order within an open write transaction.

    A duplicate event_id (already stored, or earlier in the batch, with the same
    content) is skipped; the same event_id with other content is an
    EventIdConflictError. An event that breaks a rule is rejected alone, or, when
    strict, raises BatchRejectedError so that the caller's transaction stores nothing.
    """
    result = AppendResult()
    if transaction.privacy is not None:
        transaction.privacy.look_up(events)
    taken = transaction.prepare(events)
    accepted: list[NewEvent] = []
    hashes: list[str] = []
    # Only batches with voids or corrections need earlier events of the batch as targets.
    keep_targets = any(isinstance(event.data, EventVoided | EventCorrected) for event in events)
    for index, event in enumerate(events):
        digest = content_hash(event)
        state = transaction.streams[event.customer]
        try:
            # Only a stored event claims its id: a rejected one leaves it free for a later, valid line.
            if event.event_id in taken:
                stored = taken[event.event_id]
                if stored is None or stored == digest:
                    result.duplicates.append(event.event_id)
                    continue
                earlier = next((e for e in accepted if e.event_id == event.event_id), None)
                stored_as = f"{_describe(earlier)} earlier in this batch" if earlier else _stored(transaction, event.event_id)
                raise EventIdConflictError(event.event_id, _describe(event), stored_as)
            if transaction.privacy is not None:
                transaction.privacy.check(event)
            data = check_event(state, event.data)
        except RuleViolationError as error:
            rejection = Rejection(index, event.event_id, error)
            if strict:
                raise BatchRejectedError(rejection) from None
            result.rejected.append(rejection)
            continue
        state.apply(data)
        taken[event.event_id] = digest
        accepted.append(event if data is event.data else replace(event, data=data))
        hashes.append(digest)
        if keep_targets:
            transaction.remember(accepted[-1])
    result.stored = transaction.record(accepted, hashes)
    return result


def _describe(event: NewEvent) -> str:
    return f"{event.data.wire_name} of customer {event.customer!r}"


def _stored(transaction: WriteTransaction, event_id: str) -> str:
    """Name the stored event with this id: its type, customer and log position (read only on a conflict)."""
    sql, cursor = transaction.sql, transaction.cursor
    cursor.execute(sql.targets_and_corrections(1), [event_id, event_id])
    position = next(row[1] for row in cursor.fetchall() if row[0] == event_id)
    cursor.execute(sql.states_at(1), [position])
    state = transaction.decode(bytes(cursor.fetchall()[0][1]))
    return f"{state['type']} of customer {state['customer']!r} at position {position}"


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
