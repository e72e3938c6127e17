"""Master key rotation: every data key rewrapped under a new master key in one transaction; no event is touched.

The rotation changes the ledger's master key record (``master_record``) in the same
transaction, so that a process still holding the old key cannot wrap new keys with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from ledger.privacy.cipher import CannotOpenError, unwrap_key, wrap_key
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.master_key import MasterKey
from ledger.privacy.master_record import MASTER_TABLE, check_master, read
from ledger.storage.side_tables import data_keys_table
from ledger.storage.store import EventStore

CHUNK = 1000


@dataclass(frozen=True, slots=True)
class RotationResult:
    """What a rotation did: how many data keys it rewrapped, from which master key to which (public ids)."""

    rewrapped: int
    old_master_key_id: str
    new_master_key_id: str


def rotate(store: EventStore, new: MasterKey, *, on_progress: Callable[[int, int], None] | None = None) -> RotationResult:
    """Rewrap every live data key under the new master key, in one transaction holding the log's write lock."""
    old = store.keys.master
    if old is None:
        raise MasterKeyError("rotating needs the current master key: set LEDGER_MASTER_KEY or LEDGER_MASTER_KEY_FILE")
    if new.key_id == old.key_id:
        raise MasterKeyError(f"the new master key is the current one ({old.key_id}): create one with ledger keys init")
    table, mark = data_keys_table.name, store.mark
    with store.write() as transaction:
        cursor = transaction.cursor
        check_master(cursor, mark, old)
        rows = read(cursor, f"SELECT stream_id, wrapped, master_key_id FROM {table} WHERE wrapped IS NOT NULL")
        rewrapped = []
        for stored_id, wrapped, key_id in rows:
            stream_id = stored_id if isinstance(stored_id, UUID) else UUID(hex=str(stored_id))
            if key_id != old.key_id:
                raise MasterKeyError(f"a data key is wrapped by master key {key_id}, not the configured {old.key_id}")
            try:
                data_key = unwrap_key(old.secret, bytes(wrapped), stream_id.bytes)
            except CannotOpenError as error:
                raise MasterKeyError(str(error)) from None
            rewrapped.append((wrap_key(new.secret, data_key, stream_id.bytes), new.key_id, stored_id))
        update = f"UPDATE {table} SET wrapped = {mark}, master_key_id = {mark} WHERE stream_id = {mark}"
        for start in range(0, len(rewrapped), CHUNK):
            cursor.executemany(update, rewrapped[start : start + CHUNK])
            if on_progress is not None:
                on_progress(min(start + CHUNK, len(rewrapped)), len(rewrapped))
        cursor.execute(f"UPDATE {MASTER_TABLE} SET master_key_id = {mark} WHERE id = 1", (new.key_id,))
    return RotationResult(len(rewrapped), old.key_id, new.key_id)
