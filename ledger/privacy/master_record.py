"""The record of which master key wraps the ledger's data keys: the one-row table ``ledger_master_key``.

Every write transaction that creates data keys checks it first, and a rotation changes it
with the keys: a process still holding the old master key cannot wrap a new customer's key
with it after a rotation, so the key table never holds keys of two master keys.
"""

from __future__ import annotations

from typing import Any

from ledger.privacy.errors import MasterKeyError
from ledger.privacy.master_key import MasterKey

MASTER_TABLE = "ledger_master_key"
CREATE_MASTER_TABLE = f"CREATE TABLE IF NOT EXISTS {MASTER_TABLE} (id INTEGER PRIMARY KEY, master_key_id VARCHAR(32) NOT NULL)"
SELECT_MASTER = f"SELECT master_key_id FROM {MASTER_TABLE} WHERE id = 1"


def check_master(cursor: Any, mark: str, master: MasterKey) -> None:
    """Refuse to wrap keys with a master key that is not the ledger's; record it as the ledger's when none is."""
    cursor.execute(CREATE_MASTER_TABLE)
    row = next(iter(read(cursor, SELECT_MASTER)), None)
    if row is None:
        cursor.execute(f"INSERT INTO {MASTER_TABLE} (id, master_key_id) VALUES (1, {mark})", (master.key_id,))
    elif row[0] != master.key_id:
        raise MasterKeyError(
            f"the ledger's data keys are wrapped by master key {row[0]}, not the configured {master.key_id}"
            " (rotated?): configure the current master key"
        )


def read(cursor: Any, sql: str) -> list[Any]:
    """Return the rows of a query run on a cursor of its own on the transaction's connection (PostgreSQL pipelines)."""
    lookup = cursor.connection.cursor()
    try:
        lookup.execute(sql)
        return list(lookup.fetchall())
    finally:
        lookup.close()
