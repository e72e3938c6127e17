"""The blind index of identifiers: an HMAC-SHA256 of kind and normal form, under the ledger's index key.

Resolution and the holders table (``ledger_identifiers``) only ever see this hash, never the
value. The index key is random, made when the first identifier is indexed, and kept as a row
of the data-key table under a reserved id: wrapped by the master key like a customer's data
key, so that a master-key rotation rewraps it with the others and the index stays valid.
A ledger without a master key stores its identifiers in clear in the log anyway; its index
uses a fixed, public key (the row records that), which hides nothing (see docs/identity.md).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from uuid import NAMESPACE_OID, uuid5

from commands.identifiers import BUILT_IN_KINDS, check_linkable, placeholders, split_identifier
from ledger.config import IdentitySettings
from ledger.privacy.cipher import CannotOpenError, new_key, unwrap_key, wrap_key
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.keyring import KeyRing
from ledger.privacy.master_record import check_master
from ledger.storage.side_tables import data_keys_table

# Not any customer's stream id: those are uuid5 of their key in the ledger's own namespace.
INDEX_KEY_ID = uuid5(NAMESPACE_OID, "ledger:identifier-index")
PUBLIC_INDEX_KEY = b"ledger identifier index: no master key"
PUBLIC_MARK = "public identifier index key"
# Fetches the rows of a driver-SQL query with parameters (a write transaction's cursor, or a read's connection).
Rows = Callable[[str, list[Any]], list[Any]]


class IdentityIndex:
    """The identity settings, the index key and the holders table's statements, for one store."""

    def __init__(self, ring: KeyRing):
        self.ring = ring
        self.settings = IdentitySettings()
        self._key: bytes | None = None
        mark = ring.mark
        self.select_key = f"SELECT wrapped, master_key_id, erased_at FROM {data_keys_table.name} WHERE stream_id = {mark}"
        columns = "stream_id, wrapped, master_key_id, erased_at"
        self.insert_key = f"INSERT INTO {data_keys_table.name} ({columns}) VALUES ({mark}, {mark}, {mark}, {mark})"

    @property
    def settings(self) -> IdentitySettings:
        """The ``[identity]`` configuration, set by the application."""
        return self._settings

    @settings.setter
    def settings(self, settings: IdentitySettings) -> None:
        self._settings = settings
        self.kinds = BUILT_IN_KINDS + tuple(k for k in settings.kinds if k not in BUILT_IN_KINDS)
        self._nobody = placeholders(settings.nobody_values)

    def normal(self, kind: str, value: str) -> str:
        """Return the normal form of an identifier that may be linked; raise InvalidIdentifierError if not."""
        return check_linkable(kind, value, kinds=self.kinds, default_region=self._settings.default_region, nobody=self._nobody)

    def split(self, text: str) -> tuple[str, str] | None:
        """Return (kind, value) of ``KIND:VALUE`` text with a known kind, else None (a customer key)."""
        return split_identifier(text, self.kinds)

    def key(self, rows: Rows, cursor: Any | None = None) -> bytes | None:
        """Return the index key; None if none was made yet and cursor (a write transaction's) is None, else make it there."""
        if self._key is not None:
            return self._key
        found = rows(self.select_key, [self.ring.side_uuid(INDEX_KEY_ID)])
        if found:
            self._key = self._open(*found[0])
            return self._key
        # Not kept until read back from the table: the transaction making it may yet be rolled back.
        return None if cursor is None else self._create(cursor)

    def _open(self, wrapped: Any, key_id: str | None, mark: str | None) -> bytes:
        if wrapped is None:
            return PUBLIC_INDEX_KEY
        master = self.ring.master
        if master is None:
            raise MasterKeyError("identifiers are indexed under the master key and none is configured (see docs/identity.md)")
        if key_id != master.key_id:
            raise MasterKeyError(f"the configured master key ({master.key_id}) is not the one that wraps this ledger's keys")
        try:
            return unwrap_key(master.secret, bytes(wrapped), INDEX_KEY_ID.bytes)
        except CannotOpenError as error:
            raise MasterKeyError(str(error)) from None

    def _create(self, cursor: Any) -> bytes:
        master = self.ring.master
        stored_id = self.ring.side_uuid(INDEX_KEY_ID)
        if master is None:
            cursor.execute(self.insert_key, (stored_id, None, None, PUBLIC_MARK))
            return PUBLIC_INDEX_KEY
        key = new_key()
        check_master(cursor, self.ring.mark, master)
        cursor.execute(self.insert_key, (stored_id, wrap_key(master.secret, key, INDEX_KEY_ID.bytes), master.key_id, None))
        return key


def blind(key: bytes, kind: str, normal: str) -> str:
    """Return the blind index of an identifier in normal form: hex HMAC-SHA256 of its kind and value."""
    return hmac.new(key, f"{kind}\x00{normal}".encode(), hashlib.sha256).hexdigest()


def created_customer(kind: str, blind_index: str) -> str:
    """Return the key of the customer an unknown identifier creates: its kind and a prefix of its blind index.

    Deterministic, so that importing a file again resolves to the same customer; keyed, so that
    the key says nothing of the value to someone without the index key.
    """
    return f"{kind}-{blind_index[:24]}"
