"""Identifiers inside a write transaction: resolve events named by one, check links and unlinks, record the holdings.

Every check runs under the log's write lock, against the holders table as this transaction
sees it, so one identifier belongs to at most one customer whatever writers run at once.
The events of a batch are resolved in order: a line that links an identifier makes a later
line naming that identifier resolve to its customer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from commands.errors import RuleViolationError
from commands.events_identity import IdentifierLinked, IdentifierUnlinked
from commands.identifiers import InvalidIdentifierError
from commands.records import NewEvent, stream_id_for
from commands.timeutil import format_utc
from ledger.identity.errors import IdentifierHeldError, TooManyHoldersError, UnknownIdentifierError
from ledger.identity.index import IdentityIndex, blind, created_customer
from ledger.storage.side_tables import HELD, identifiers_table

OnUnknown = Literal["create", "reject"]
# Set by Ledger.resolving for the calls made in its block; None: the configured [identity] on_unknown.
ON_UNKNOWN: ContextVar[OnUnknown | None] = ContextVar("on_unknown", default=None)
IN_CHUNK = 500
LINK = -1  # the batch index of a link made for a created customer: it is no event of the caller's
TABLE = identifiers_table.name


@contextmanager
def unknown_identifiers(policy: OnUnknown | None) -> Iterator[None]:
    """Make the writes of this block create (or reject) the customers of identifiers nobody holds."""
    token = ON_UNKNOWN.set(policy)
    try:
        yield
    finally:
        ON_UNKNOWN.reset(token)


def involved(events: list[NewEvent]) -> bool:
    """Whether a batch names a customer by an identifier or links or unlinks one (else identity costs it nothing)."""
    return any(e.addressed_by is not None or isinstance(e.data, IdentifierLinked | IdentifierUnlinked) for e in events)


@dataclass(slots=True)
class _Identifier:
    holder: str | None  # the current holder as this transaction sees it
    ever: set[str] = field(default_factory=set)  # every customer that held it, the current one included


@dataclass(slots=True)
class _Change:
    """What recording an identity event does to the holders table."""

    blind: str
    kind: str
    link: bool
    moves: bool  # False: a link to its current holder, which changes nothing
    index: int  # of the event in its batch
    previous: str | None = None  # the holder before, restored if the event is not stored after all


class TransactionIdentity:
    """The identifiers one write transaction has looked up, resolved and changed."""

    def __init__(self, index: IdentityIndex, cursor: Any):
        self.index = index
        self.cursor = cursor
        self.mark = index.ring.mark
        self.known: dict[str, _Identifier] = {}
        self.changes: dict[str, _Change] = {}  # by event_id, for recording
        self.links_due: dict[int, NewEvent] = {}  # by the batch index of the first event that created the customer
        self.created_by: dict[int, str] = {}  # batch index: the blind index of the identifier it created a customer for
        self.addressing: dict[int, str] = {}  # batch index: the blind index an event named its customer by, or links
        self._key: bytes | None = None
        self._seen: dict[tuple[str, str], tuple[str, str, str]] = {}

    def _rows(self, sql: str, parameters: list[Any]) -> list[Any]:
        lookup = self.cursor.connection.cursor()
        try:
            lookup.execute(sql, parameters)
            return list(lookup.fetchall())
        finally:
            lookup.close()

    def _blind(self, kind: str, normal: str) -> str:
        if self._key is None:
            self._key = self.index.key(self._rows, self.cursor)
        assert self._key is not None  # made in this transaction if there was none
        return blind(self._key, kind, normal)

    def resolve(self, events: list[NewEvent]) -> tuple[list[NewEvent], dict[int, RuleViolationError]]:
        """Return the batch with its customers resolved and its identifiers normalised, and the events refused by index."""
        addressing: dict[int, tuple[str, str, str]] = {}  # index: kind, normal form and blind index naming the customer
        linking: dict[int, tuple[str, str, str]] = {}  # index: the same of the identifier a link or unlink is about
        refused: dict[int, RuleViolationError] = {}
        for index, event in enumerate(events):
            data = event.data
            try:
                if event.addressed_by is not None:
                    addressing[index] = self._identifier("customer", *event.addressed_by)
                if isinstance(data, IdentifierLinked | IdentifierUnlinked):
                    linking[index] = self._identifier("data", data.kind, data.value)
            except InvalidIdentifierError as error:
                refused[index] = error
        self._load([b for _, _, b in (*addressing.values(), *linking.values())])
        policy = ON_UNKNOWN.get() or self.index.settings.on_unknown
        resolved = list(events)
        for index in sorted(addressing.keys() | linking.keys()):
            if index in refused:
                continue
            event = events[index]
            try:
                if index in addressing:
                    event = resolved[index] = self._resolved(index, event, *addressing[index], policy)
                if index in linking:
                    kind, form, blind_index = linking[index]
                    resolved[index] = replace(event, data=event.data.model_copy(update={"value": form}))
                    self._change(index, event, kind, blind_index)
            except RuleViolationError as error:
                refused[index] = error
        return resolved, refused

    def _identifier(self, where: str, kind: str, value: str) -> tuple[str, str, str]:
        """Return an identifier's kind, normal form and blind index; raise InvalidIdentifierError placed in the event."""
        found = self._seen.get((kind, value))  # a file names one customer by the same identifier line after line
        if found is None:
            try:
                form = self.index.normal(kind, value)
            except InvalidIdentifierError as error:
                raise InvalidIdentifierError(*_placed(where, error)) from None
            found = self._seen[kind, value] = (kind, form, self._blind(kind, form))
        return found

    def _resolved(self, index: int, event: NewEvent, kind: str, form: str, blind_index: str, policy: OnUnknown) -> NewEvent:
        known = self.known[blind_index]
        if known.holder is None:
            if policy == "reject":
                raise UnknownIdentifierError(kind)
            customer = created_customer(kind, blind_index)
            self._check_limit(kind, known, customer)
            known.holder = customer
            known.ever.add(customer)
            event_id = "identifier-" + hashlib.blake2b(f"{event.event_id}\x00{blind_index}".encode(), digest_size=16).hexdigest()
            link = NewEvent(
                event_id,
                customer,
                event.occurred_at,
                event.source,
                event.actor,
                event.correlation_id,
                IdentifierLinked(kind=kind, value=form),
            )
            self.links_due[index] = link
            self.changes[event_id] = _Change(blind_index, kind, link=True, moves=True, index=LINK)
            self.created_by[index] = blind_index
        self.addressing[index] = blind_index
        # Built, not ``dataclasses.replace``d: that costs several times as much, once per event of an import.
        return NewEvent(
            event.event_id, known.holder, event.occurred_at, event.source, event.actor, event.correlation_id, event.data
        )

    def _change(self, index: int, event: NewEvent, kind: str, blind_index: str) -> None:
        known = self.known[blind_index]
        customer = event.customer
        if event.event_id in self.changes:  # the same event_id again in the batch: a duplicate or a conflict
            return
        self.addressing.setdefault(index, blind_index)
        if isinstance(event.data, IdentifierUnlinked):
            if known.holder != customer:
                raise IdentifierHeldError(kind, known.holder, unlinking=True)
            known.holder = None
            self.changes[event.event_id] = _Change(blind_index, kind, link=False, moves=True, index=index, previous=customer)
            return
        if known.holder is not None and known.holder != customer:
            raise IdentifierHeldError(kind, known.holder, unlinking=False)
        moves = known.holder is None
        if moves:
            self._check_limit(kind, known, customer)
            known.holder = customer
            known.ever.add(customer)
        self.changes[event.event_id] = _Change(blind_index, kind, link=True, moves=moves, index=index)

    def _check_limit(self, kind: str, known: _Identifier, customer: str) -> None:
        limit = self.index.settings.max_holders.get(kind)
        if limit is not None and customer not in known.ever and len(known.ever) >= limit:
            raise TooManyHoldersError(kind, limit)

    def _load(self, blinds: list[str]) -> None:
        wanted = [b for b in dict.fromkeys(blinds) if b not in self.known]
        for b in wanted:
            self.known[b] = _Identifier(None)
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            marks = ", ".join([self.mark] * len(chunk))
            sql = f"SELECT blind, customer, until_position FROM {TABLE} WHERE blind IN ({marks})"
            for blind_index, customer, until in self._rows(sql, chunk):
                known = self.known[blind_index]
                known.ever.add(customer)
                if until == HELD:
                    known.holder = customer

    def not_stored(self, index: int, event: NewEvent) -> None:
        """Undo what the batch's event at index did to the holders (rejected or a duplicate after all).

        A customer it created is then linked after the next event of the batch that named the same
        identifier, or, if none is stored, not created at all.
        """
        change = self.changes.get(event.event_id)
        if change is not None and change.index == index:
            del self.changes[event.event_id]
        if change is not None and change.index == index and change.moves:
            known = self.known[change.blind]
            if change.link:
                known.ever.discard(event.customer)
            known.holder = change.previous
        link = self.links_due.pop(index, None)
        if link is None:
            return
        blind_index = self.created_by.pop(index)
        later = sorted(i for i, b in self.addressing.items() if b == blind_index and i > index)
        if later:
            self.links_due[later[0]] = link
            self.created_by[later[0]] = blind_index
            return
        self.changes.pop(link.event_id, None)
        known = self.known[blind_index]
        known.holder = None
        known.ever.discard(link.customer)

    def link_after(self, index: int) -> NewEvent | None:
        """Return the link of the identifier that created the customer of the batch's event at index, once accepted."""
        return self.links_due.pop(index, None)

    def record(self, events: list[NewEvent], first_position: int) -> None:
        """Write the holdings that these stored events (from first_position on, in order) change."""
        side_uuid, mark = self.index.ring.side_uuid, self.mark
        columns = "blind, until_position, kind, stream_id, customer, since, since_position"
        insert = f"INSERT INTO {TABLE} ({columns}) VALUES ({', '.join([mark] * 7)})"
        close = f"UPDATE {TABLE} SET until_position = {mark}, until = {mark} WHERE blind = {mark} AND until_position = {HELD}"
        for offset, event in enumerate(events):
            change = self.changes.get(event.event_id)
            if change is None or not change.moves:
                continue
            position, moment = first_position + offset, format_utc(event.occurred_at)
            if change.link:
                stream_id = side_uuid(stream_id_for(event.customer))
                row = (change.blind, HELD, change.kind, stream_id, event.customer, moment, position)
                self.cursor.execute(insert, row)
            else:
                self.cursor.execute(close, (position, moment, change.blind))

    def forget(self, customer: str) -> None:
        """Remove every holding of the customer, current and past, from the holders table (erasure)."""
        stream_id = self.index.ring.side_uuid(stream_id_for(customer))
        self.cursor.execute(f"DELETE FROM {TABLE} WHERE stream_id = {self.mark}", (stream_id,))


def _placed(where: str, error: InvalidIdentifierError) -> tuple[str, str]:
    """Return an identifier's problem as the field of the event it is in (the customer, or the data)."""
    field_name, reason = error.problems[0]
    return f"{where}.{field_name}", reason
