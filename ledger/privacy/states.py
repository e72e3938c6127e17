"""Consent and restriction of processing, as the log states them: read from their events, folded at query time.

Only those events are read (selected by topic), in log order, so that every process sees
a grant, withdrawal or restriction as soon as it is committed, and nothing is kept to go
stale. Consent is judged as of a date: the latest grant or withdrawal that occurred by then.
A restriction holds from the moment it is recorded, whatever date a query is asked for:
it limits what is done with the data now, including figures about the past.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import orjson

from commands.event_fields import EventData
from commands.events_privacy import ConsentGranted, ConsentWithdrawn, ProcessingRestricted, ProcessingUnrestricted
from commands.records import TOPIC_BY_TYPE, stream_id_for
from ledger.storage import log_reader
from ledger.storage.store import EventStore

CONSENT_TYPES: tuple[type[EventData], ...] = (ConsentGranted, ConsentWithdrawn)
RESTRICTION_TYPES: tuple[type[EventData], ...] = (ProcessingRestricted, ProcessingUnrestricted)
RESTRICTION_WIRE_NAMES = frozenset(cls.wire_name for cls in RESTRICTION_TYPES)
PAGE = 1000


@dataclass(frozen=True, slots=True)
class PrivacyFact:
    """One consent or restriction event, as the fold needs it."""

    position: int
    event_id: str
    customer: str
    type: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]


def _fact(position: int, state: bytes) -> PrivacyFact:
    decoded = orjson.loads(state)
    return PrivacyFact(
        position=position,
        event_id=decoded["event_id"],
        customer=decoded["customer"],
        type=decoded["type"],
        occurred_at=datetime.fromisoformat(decoded["occurred_at"]),
        recorded_at=datetime.fromisoformat(decoded["recorded_at"]),
        data=decoded["data"],
    )


def read_facts(store: EventStore, types: tuple[type[EventData], ...], customer: str | None = None) -> list[PrivacyFact]:
    """Return the events of these types in log order: one customer's (their stream), or everyone's (by topic)."""
    topics = [TOPIC_BY_TYPE[cls.wire_name] for cls in types]
    with store.engine.connect() as connection:
        if customer is not None:
            rows = log_reader.stream_rows(store, connection, store.driver_uuid(stream_id_for(customer)))
            return [_fact(int(row[0]), bytes(row[4])) for row in rows if row[3] in topics]
        facts: list[PrivacyFact] = []
        after = 0
        while True:
            page = log_reader.notifications(store, connection, after, PAGE, topics=topics, inclusive_of_start=False)
            facts.extend(_fact(n.id, n.state) for n in page)
            if len(page) < PAGE:
                return facts
            after = page[-1].id


def known(facts: list[PrivacyFact], as_of: datetime | None, known_at: datetime | None) -> list[PrivacyFact]:
    """Keep the facts that occurred by as_of and were recorded by known_at, ordered by when they occurred."""
    kept = [f for f in facts if (as_of is None or f.occurred_at <= as_of) and (known_at is None or f.recorded_at <= known_at)]
    return sorted(kept, key=lambda f: (f.occurred_at, f.position))


def consents(facts: list[PrivacyFact]) -> dict[tuple[str, str], PrivacyFact]:
    """Return the deciding event per (customer, purpose): the last grant or withdrawal of the facts given."""
    return {(f.customer, f.data["purpose"]): f for f in facts}


class _Restrictions:
    """The latest restriction event per customer up to a log position, in this process.

    Brought forward on every ask by reading only the restriction events after that
    position, up to the head of the log: the answer is always the log's, while a query
    no longer scans the whole log for them (the events table has no topic index).
    """

    def __init__(self) -> None:
        self.position = 0
        self.latest: dict[str, str] = {}
        self.lock = threading.Lock()

    def restricted(self, store: EventStore) -> set[str]:
        topics = [TOPIC_BY_TYPE[cls.wire_name] for cls in RESTRICTION_TYPES]
        with store.engine.connect() as connection, self.lock:
            head = log_reader.log_head(store, connection)
            if head < self.position:  # another log under the same store: start again
                self.position, self.latest = 0, {}
            while self.position < head:
                page = log_reader.notifications(
                    store, connection, self.position, PAGE, stop=head, topics=topics, inclusive_of_start=False
                )
                for notification in page:
                    fact = _fact(notification.id, notification.state)
                    self.latest[fact.customer] = fact.type
                self.position = page[-1].id if len(page) == PAGE else head
            return {customer for customer, kind in self.latest.items() if kind == ProcessingRestricted.wire_name}


_RESTRICTIONS: weakref.WeakKeyDictionary[EventStore, _Restrictions] = weakref.WeakKeyDictionary()
_RESTRICTIONS_LOCK = threading.Lock()


def restricted_customers(store: EventStore) -> set[str]:
    """Return the customers whose processing is restricted now (as recorded, up to the head of the log)."""
    with _RESTRICTIONS_LOCK:
        fold = _RESTRICTIONS.get(store)
        if fold is None:
            fold = _RESTRICTIONS[store] = _Restrictions()
    return fold.restricted(store)


def may_contact(store: EventStore, purpose: str, as_of: datetime | None, known_at: datetime | None) -> set[str]:
    """Return the customers whose consent to a purpose stands granted as of a date."""
    deciding = consents(known(read_facts(store, CONSENT_TYPES), as_of, known_at))
    return {c for (c, p), f in deciding.items() if p == purpose and f.type == ConsentGranted.wire_name}


class OfCustomer(Protocol):
    """A row or record that names its customer."""

    @property
    def customer(self) -> str: ...


R = TypeVar("R", bound=OfCustomer)


def without_restricted(store: EventStore, records: Iterable[R]) -> tuple[list[R], int]:
    """Return the records of the customers not restricted, and how many records were left out."""
    restricted = restricted_customers(store)
    if not restricted:
        return list(records), 0
    kept: list[R] = []
    left_out = 0
    for record in records:
        if record.customer in restricted:
            left_out += 1
        else:
            kept.append(record)
    return kept, left_out


def skip_restricted(store: EventStore, records: Iterable[R]) -> Iterator[R]:
    """Yield the records of the customers not restricted, lazily."""
    restricted = restricted_customers(store)
    return (record for record in records if record.customer not in restricted)
