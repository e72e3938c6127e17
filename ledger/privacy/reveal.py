"""What reads show of personal values: the text when asked for (``personal=True``), else a mask; ``[erased]`` after erasure.

Each read looks its customers' keys up afresh (one indexed lookup per customer), so that
an erasure holds at once in every process: no data key outlives the read that needed it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from commands.records import stream_id_for
from ledger.privacy.cipher import CannotOpenError, FieldCipher, field_context, is_sealed
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.keyring import KeyRing
from ledger.privacy.masking import ERASED, MASK, mask
from ledger.storage.side_tables import data_keys_table

UNREADABLE = "[unreadable]"


class CustomerKeys:
    """One read's view of its customers' key rows: the cipher, whether erased."""

    def __init__(self, engine: Engine, ring: KeyRing):
        self.engine = engine
        self.ring = ring
        self._found: dict[str, tuple[FieldCipher | None, bool, bool]] = {}

    def of(self, customer: str) -> tuple[FieldCipher | None, bool, bool]:
        """Return (cipher or None, erased, has a stored key) for a customer, looked up once per read."""
        found = self._found.get(customer)
        if found is None and self.ring.without_key_table:
            found = self._found[customer] = (None, False, False)  # a ledger made before encryption, opened read-only
        if found is None:
            stream_id = stream_id_for(customer)
            table = data_keys_table
            with self.engine.connect() as connection:
                row = connection.execute(
                    select(table.c.wrapped, table.c.master_key_id, table.c.erased_at).where(table.c.stream_id == stream_id)
                ).first()
            if row is None:
                found = (None, False, False)
            elif row.erased_at is not None:
                found = (None, True, False)
            elif self.ring.master is None:
                found = (None, False, True)
            else:
                found = (self.ring.open_row(stream_id, row.wrapped, row.master_key_id), False, True)
            self._found[customer] = found
        return found


class Reveal:
    """The mapper's view of personal values for one read (``ledger.storage.mapper.PersonalView``)."""

    def __init__(self, engine: Engine, ring: KeyRing, *, personal: bool):
        self.keys = CustomerKeys(engine, ring)
        self.personal = personal

    def show(self, customer: str, event_id: str, field: str, stored: Any) -> tuple[Any, bool]:
        """Return the value to show and whether it is the value itself."""
        cipher, erased, has_key = self.keys.of(customer)
        if erased:
            return ERASED, False  # values stored in clear before encryption are hidden too
        if not is_sealed(stored):
            return (stored, True) if self.personal else (mask(field, stored), False)
        if cipher is None:
            if self.personal:
                raise MasterKeyError(
                    "personal data is encrypted and no master key is configured:"
                    " set LEDGER_MASTER_KEY or LEDGER_MASTER_KEY_FILE (see docs/privacy.md)"
                )
            return (MASK if has_key else UNREADABLE), False
        try:
            text = cipher.open(stored, field_context(event_id, field))
        except CannotOpenError:
            return UNREADABLE, False
        return (text, True) if self.personal else (mask(field, text), False)
