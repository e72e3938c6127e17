"""The customers' data keys inside a write transaction: looked up, created, checked and destroyed there.

A new customer's key is created in the transaction that records the customer's first
personal data, so that no event is ever sealed with a key that was not stored with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from commands.errors import RuleViolationError
from commands.events import EVENT_TYPES, EventCorrected, EventData, EventVoided
from commands.events_privacy import DEFAULT_PURPOSES, ConsentGranted, ConsentWithdrawn
from commands.records import NewEvent, stream_id_for
from ledger.privacy.cipher import CannotOpenError, FieldCipher, new_key, unwrap_key, wrap_key
from ledger.privacy.errors import CustomerErasedError, MasterKeyError
from ledger.privacy.master_key import MasterKey
from ledger.privacy.master_record import check_master
from ledger.privacy.sealing import carries_personal_data, open_in_place, sealer
from ledger.storage.side_tables import data_keys_table

log = logging.getLogger("ledger.privacy")
IN_CHUNK = 500
Pending = list[tuple[Any, Callable[[list[Any]], None]]]
_warned_in_clear = False


@dataclass(slots=True)
class CustomerKey:
    """What a write transaction knows of one customer's key."""

    cipher: FieldCipher | None = None
    erased: bool = False
    stored: bool = False  # a row exists (a key, or the mark of an erasure)


class KeyRing:
    """The master key (or none) and the key table's statements, for one store."""

    def __init__(self, master: MasterKey | None, *, mark: str, side_uuid: Callable[[UUID], Any]):
        self.master = master
        self.purposes = frozenset(DEFAULT_PURPOSES)  # the configured ones, set by the application
        # A ledger made before encryption, opened read-only: no key table, so no keys (set by the store).
        self.without_key_table = False
        self.mark = mark
        self.side_uuid = side_uuid
        table = data_keys_table.name
        columns = "stream_id, wrapped, master_key_id, erased_at"
        self.insert = f"INSERT INTO {table} ({columns}) VALUES ({mark}, {mark}, {mark}, {mark})"
        self.destroy = f"UPDATE {table} SET wrapped = NULL, master_key_id = NULL, erased_at = {mark} WHERE stream_id = {mark}"

    def select(self, count: int) -> str:
        """Return the key rows (stream_id, wrapped, master_key_id, erased_at) of ``count`` streams."""
        marks = ", ".join([self.mark] * count)
        return f"SELECT stream_id, wrapped, master_key_id, erased_at FROM {data_keys_table.name} WHERE stream_id IN ({marks})"

    def open_row(self, stream_id: UUID, wrapped: Any, key_id: str | None) -> FieldCipher | None:
        """Return the cipher of a stored key row (None for an erased one); raise MasterKeyError without the right master key."""
        if wrapped is None:
            return None
        if self.master is None:
            raise MasterKeyError(
                "this ledger holds encrypted personal data and no master key is configured:"
                " set LEDGER_MASTER_KEY or LEDGER_MASTER_KEY_FILE (see docs/privacy.md)"
            )
        if key_id != self.master.key_id:
            raise MasterKeyError(f"the configured master key ({self.master.key_id}) is not the one that wraps this ledger's keys")
        try:
            return FieldCipher(unwrap_key(self.master.secret, bytes(wrapped), stream_id.bytes))
        except CannotOpenError as error:
            raise MasterKeyError(str(error)) from None

    def for_transaction(self, cursor: Any) -> TransactionKeys:
        """Return the key state of one write transaction, on its DB-API cursor."""
        return TransactionKeys(self, cursor)


class TransactionKeys:
    """The data keys one write transaction has looked up or created."""

    def __init__(self, ring: KeyRing, cursor: Any):
        self.ring = ring
        self.cursor = cursor
        self.customers: dict[str, CustomerKey] = {}
        self.created: list[tuple[Any, ...]] = []

    def look_up(self, events: list[NewEvent]) -> None:
        """Look up the keys of the customers of a batch whose events need one (personal data, voids, corrections)."""
        wanted = list(
            {
                e.customer: None
                for e in events
                if e.customer not in self.customers
                and (isinstance(e.data, EventVoided | EventCorrected | ConsentGranted) or carries_personal_data(e.data))
            }
        )
        pending: Pending = []
        self.queue_customers(pending, wanted)
        fetch(pending)

    def queue_customers(self, pending: Pending, customers: list[str]) -> None:
        """Queue the lookup of these customers' key rows."""
        ring = self.ring
        for start in range(0, len(customers), IN_CHUNK):
            chunk = customers[start : start + IN_CHUNK]
            by_id = {ring.side_uuid(stream_id_for(c)): c for c in chunk}
            for customer in chunk:
                self.customers[customer] = CustomerKey()

            def apply(rows: list[Any], by_id: dict[Any, str] = by_id) -> None:
                for stored_id, wrapped, key_id, erased_at in rows:
                    customer = by_id[stored_id]
                    cipher = ring.open_row(stream_id_for(customer), wrapped, key_id)
                    self.customers[customer] = CustomerKey(cipher, erased_at is not None, stored=True)

            lookup = self.cursor.connection.cursor()  # a cursor of its own: its rows are read with the batch's others
            lookup.execute(ring.select(len(chunk)), list(by_id))
            pending.append((lookup, apply))

    def opening(self, decode: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        """Return decode, with the personal values of the state's data as text, or left out where they do not open.

        The rules validate a corrected target as its type: a sealed value would not pass.
        """

        def decode_opened(stored: bytes) -> Any:
            state = decode(stored)
            cipher = self.cipher_of(state["customer"])
            open_in_place(cipher, state["event_id"], EVENT_TYPES[state["type"]], state["data"])
            return state

        return decode_opened

    def cipher_of(self, customer: str) -> FieldCipher | None:
        """Return a looked-up customer's cipher, if there is one."""
        known = self.customers.get(customer)
        return None if known is None else known.cipher

    def is_erased(self, customer: str) -> bool:
        """Whether a looked-up customer was erased."""
        known = self.customers.get(customer)
        return known is not None and known.erased

    def check(self, event: NewEvent) -> None:
        """Refuse unknown purposes, and personal data or a new consent for an erased customer (no new key is made for them)."""
        data = event.data
        if isinstance(data, ConsentGranted | ConsentWithdrawn) and data.purpose not in self.ring.purposes:
            known_purposes = ", ".join(sorted(self.ring.purposes))
            raise RuleViolationError("data.purpose", f"unknown purpose {data.purpose!r} (configured: {known_purposes})")
        known = self.customers.get(event.customer)
        if known is None or not known.erased:
            return
        if carries_personal_data(data):
            raise CustomerErasedError(event.customer, "personal data")
        if isinstance(data, ConsentGranted):
            raise CustomerErasedError(event.customer, "a new consent")

    def protector(self, event: NewEvent) -> Callable[[str, type[EventData], dict[str, Any]], dict[str, Any]] | None:
        """Return how to seal an event's personal values before hashing (None: stored as given), creating the key if new."""
        if not carries_personal_data(event.data):
            return None
        master = self.ring.master
        if master is None:
            _warn_in_clear()
            return None
        known = self.customers[event.customer]
        if known.cipher is None:
            data_key = new_key()
            stream_id = stream_id_for(event.customer)
            wrapped = wrap_key(master.secret, data_key, stream_id.bytes)
            self.created.append((self.ring.side_uuid(stream_id), wrapped, master.key_id, None))
            known.cipher, known.stored = FieldCipher(data_key), True
        return sealer(known.cipher)

    def save(self) -> None:
        """Store the keys created in this transaction, in it."""
        if self.created:
            assert self.ring.master is not None  # keys are only created with a master key
            check_master(self.cursor, self.ring.mark, self.ring.master)
            self.cursor.executemany(self.ring.insert, self.created)
            self.created = []

    def destroy(self, customer: str, erased_at: str) -> bool:
        """Destroy a looked-up customer's key (or mark a customer without one as erased); return whether a key was destroyed."""
        known = self.customers[customer]
        stream_id = self.ring.side_uuid(stream_id_for(customer))
        had_key = known.cipher is not None or (known.stored and not known.erased)
        if known.stored:
            self.cursor.execute(self.ring.destroy, (erased_at, stream_id))
        else:
            self.cursor.execute(self.ring.insert, (stream_id, None, None, erased_at))
        self.customers[customer] = CustomerKey(None, erased=True, stored=True)
        return had_key


def fetch(pending: Pending) -> None:
    """Read each queued lookup's rows and hand them to its function."""
    for cursor, apply in pending:
        apply(cursor.fetchall())
        cursor.close()


def _warn_in_clear() -> None:
    global _warned_in_clear
    if not _warned_in_clear:
        _warned_in_clear = True
        log.warning("no master key configured: personal data is stored in clear (see docs/privacy.md)")
