"""The write path's handler: deduplicate by event_id, check rules, record; one transaction per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from commands.errors import EventIdConflictError, InvalidEventError, RuleViolationError
from commands.events import EventCorrected, EventVoided
from commands.records import NewEvent
from commands.rules import check_event
from ledger.audit.write_guard import confirm_side_rows, note_recorded
from ledger.identity.transaction import LINK, TransactionIdentity, involved
from ledger.results import AppendResult, Rejection
from ledger.storage.side_tables import content_hash
from ledger.storage.store import EventStore
from ledger.storage.write_transaction import WriteTransaction
from ledger.stream_versions import check_expected_version


class BatchRejectedError(RuleViolationError):
    """A strict batch had an event that broke a rule, so none of it was stored."""

    def __init__(self, rejection: Rejection):
        self.rejection = rejection
        InvalidEventError.__init__(self, rejection.error.problems)


def append_batch(
    transaction: WriteTransaction, events: list[NewEvent], *, strict: bool = False, expected_version: int | None = None
) -> AppendResult:
    """Append events in order within an open write transaction.

    A duplicate event_id (already stored, or earlier in the batch, with the same
    content) is skipped; the same event_id with other content is an
    EventIdConflictError. An event that breaks a rule is rejected alone, or, when
    strict, raises BatchRejectedError so that the caller's transaction stores nothing.
    With expected_version, the events' one customer's stream must be at that version
    (checked under the write lock), else VersionConflictError and nothing is stored.
    """
    result = AppendResult()
    accepted, hashes = _check_batch(transaction, events, result, strict=strict, expected_version=expected_version)
    result.stored = transaction.record(accepted, hashes)
    note_recorded(transaction, accepted, hashes)
    return result


def import_batch(transaction: WriteTransaction, events: list[NewEvent], *, strict: bool = False) -> tuple[int, AppendResult]:
    """Append events as ``append_batch`` does; return how many were stored, and the duplicates and rejections only.

    An import reports counts, so no stored event is built for the result.
    """
    result = AppendResult()
    accepted, hashes = _check_batch(transaction, events, result, strict=strict, expected_version=None)
    stored = transaction.record_count(accepted, hashes)
    note_recorded(transaction, accepted, hashes)
    return stored, result


def _check_batch(
    transaction: WriteTransaction, events: list[NewEvent], result: AppendResult, *, strict: bool, expected_version: int | None
) -> tuple[list[NewEvent], list[str]]:
    """Check a batch's events in order, applying each accepted one to its stream; return them with their content hashes."""
    refused: dict[int, RuleViolationError] = {}
    identity = transaction.identity if involved(events) else None
    if identity is not None:  # customers named by an identifier are known from here on
        events, refused = identity.resolve(events)
    live = [e for i, e in enumerate(events) if i not in refused] if refused else events
    if transaction.privacy is not None:
        transaction.privacy.look_up(live)
    taken = transaction.prepare(live)
    confirm_side_rows(transaction, live, taken)
    if expected_version is not None:
        check_expected_version(transaction.streams, live, expected_version)
    batch = _Accepted([], [], taken, any(isinstance(event.data, EventVoided | EventCorrected) for event in events))
    for index, event in enumerate(events):
        outcome = refused.get(index) or _accept(transaction, event, batch)
        if outcome is _STORED:
            link = None if identity is None else identity.link_after(index)
            if link is not None:  # the identifier of the customer this event just created
                _link_created(transaction, identity, link, batch)  # type: ignore[arg-type]
            continue
        if identity is not None:
            identity.not_stored(index, event)
        if isinstance(outcome, RuleViolationError):
            rejection = Rejection(index, event.event_id, outcome)
            if strict:
                raise BatchRejectedError(rejection) from None
            result.rejected.append(rejection)
        else:
            result.duplicates.append(event.event_id)
    return batch.events, batch.hashes


def _link_created(transaction: WriteTransaction, identity: TransactionIdentity, link: NewEvent, batch: _Accepted) -> None:
    """Store the link of a created customer's identifier after its first event (an erased customer's is not stored)."""
    if transaction.privacy is not None:
        transaction.privacy.look_up([link])
    if _accept(transaction, link, batch) is not _STORED:
        identity.not_stored(LINK, link)


@dataclass(slots=True)
class _Accepted:
    """The events of a batch accepted so far, with their content hashes, and the event ids taken."""

    events: list[NewEvent]
    hashes: list[str]
    taken: dict[str, str | None]
    keep_targets: bool  # only batches with voids or corrections need earlier events of the batch as targets


_STORED, _DUPLICATE = "stored", "duplicate"


def _accept(transaction: WriteTransaction, event: NewEvent, batch: _Accepted) -> str | RuleViolationError:
    """Check one event and apply it to its stream; return whether it is to be stored, a duplicate, or why it is refused."""
    digest = content_hash(event)
    state = transaction.streams[event.customer]
    accepted, taken = batch.events, batch.taken
    try:
        # Only a stored event claims its id: a rejected one leaves it free for a later, valid line.
        if event.event_id in taken:
            stored = taken[event.event_id]
            if stored is None or stored == digest:
                return _DUPLICATE
            earlier = next((e for e in accepted if e.event_id == event.event_id), None)
            stored_as = f"{_describe(earlier)} earlier in this batch" if earlier else _stored(transaction, event.event_id)
            raise EventIdConflictError(event.event_id, _describe(event), stored_as)
        if transaction.privacy is not None:
            transaction.privacy.check(event)
        data = check_event(state, event.data)
    except RuleViolationError as error:
        return error
    state.apply(data)
    taken[event.event_id] = digest
    accepted.append(event if data is event.data else replace(event, data=data))
    batch.hashes.append(digest)
    if batch.keep_targets:
        transaction.remember(accepted[-1])
    return _STORED


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
    store: EventStore,
    parse: Callable[[Any], NewEvent],
    events: Iterable[Any],
    *,
    strict: bool = False,
    expected_version: int | None = None,
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
        result = append_batch(transaction, parsed, strict=strict, expected_version=expected_version)
    # Report indexes of the caller's list, not of the valid subset.
    result.rejected = sorted(
        invalid + [Rejection(positions[r.index], r.event_id, r.error) for r in result.rejected], key=lambda r: r.index
    )
    return result


def _event_id_of(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("event_id") or "")
    return str(getattr(raw, "event_id", "") or "")
