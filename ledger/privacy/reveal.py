"""What reads show of personal values: the text when asked for (``personal=True``), else a mask; ``[erased]`` after erasure.

Each read looks its customers' keys up afresh (one indexed lookup per customer), so that
an erasure holds at once in every process: no data key outlives the read that needed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from commands.records import stream_id_for
from ledger.privacy.cipher import CannotOpenError, FieldCipher, field_context, is_sealed
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.keyring import KeyRing
from ledger.privacy.masking import ERASED, MASK, mask
from ledger.storage.side_tables import data_keys_table

UNREADABLE = "[unreadable]"
_KEY_ROW = select(
    data_keys_table.c.stream_id, data_keys_table.c.wrapped, data_keys_table.c.master_key_id, data_keys_table.c.erased_at
)
_CHUNK = 500  # stream ids per query of ``CustomerKeys.load`` (well within every backend's limit on parameters)


class CustomerKeys:
    """One read's view of its customers' key rows: the cipher, whether erased."""

    def __init__(self, engine: Engine, ring: KeyRing):
        self.engine = engine
        self.ring = ring
        self._found: dict[str, tuple[FieldCipher | None, bool, bool]] = {}
        self._loaded: dict[str, Any] = {}  # key rows read by ``load`` (None for none), not yet opened

    def of(self, customer: str) -> tuple[FieldCipher | None, bool, bool]:
        """Return (cipher or None, erased, has a stored key) for a customer, looked up once per read."""
        found = self._found.get(customer)
        if found is None and self.ring.without_key_table:
            found = self._found[customer] = (None, False, False)  # a ledger made before encryption, opened read-only
        if found is None:
            stream_id = stream_id_for(customer)
            if customer in self._loaded:
                row = self._loaded[customer]
            else:
                with self.engine.connect() as connection:
                    row = connection.execute(_KEY_ROW.where(data_keys_table.c.stream_id == stream_id)).first()
            found = self._found[customer] = self._opened(stream_id, row)
        return found

    def load(self, connection: Connection, customers: Iterable[str]) -> None:
        """Read many customers' key rows at once in ``connection``'s transaction, for ``of`` to open when asked.

        For a verify, which needs every customer of the log's identity events: one query per
        chunk instead of a connection and a query per customer, and the rows as of its snapshot.
        The keys are opened by ``of`` as before, so that a key that cannot be opened fails there.
        """
        if self.ring.without_key_table:
            return
        by_stream = {stream_id_for(customer): customer for customer in set(customers) if customer not in self._found}
        streams = list(by_stream)
        for customer in by_stream.values():
            self._loaded[customer] = None
        for start in range(0, len(streams), _CHUNK):
            chunk = streams[start : start + _CHUNK]
            for row in connection.execute(_KEY_ROW.where(data_keys_table.c.stream_id.in_(chunk))):
                self._loaded[by_stream[row.stream_id]] = row

    def _opened(self, stream_id: UUID, row: Any) -> tuple[FieldCipher | None, bool, bool]:
        """Return what ``of`` says of a customer given their key row (None for none)."""
        if row is None:
            return None, False, False
        if row.erased_at is not None:
            return None, True, False
        if self.ring.master is None:
            return None, False, True
        return self.ring.open_row(stream_id, row.wrapped, row.master_key_id), False, True


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
