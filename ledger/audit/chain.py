"""The rolling root hash that digests and checkpoints commit to, and the stored checkpoints."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, inspect, select

from commands.records import GENESIS_HASH
from ledger.storage.store import EventStore

DIGEST_FORMAT: Literal["ledger-digest/1"] = "ledger-digest/1"
GENESIS_ROOT = GENESIS_HASH

checkpoint_metadata = MetaData()
checkpoints_table = Table(
    "ledger_checkpoints",
    checkpoint_metadata,
    Column("position", BigInteger, primary_key=True),
    Column("root", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def next_root(root: str, position: int, event_hash: str) -> str:
    """Extend the log's rolling root by one event: sha256 of the previous root, the position and the event's hash."""
    return hashlib.sha256(f"{root}:{position}:{event_hash}".encode()).hexdigest()


def ensure_checkpoints_table(store: EventStore) -> None:
    """Create the checkpoints table on first use (by a digest: nothing that only reads creates it)."""
    store.ensure_tables([checkpoints_table])


def checkpoints(store: EventStore) -> list[tuple[int, str, datetime]]:
    """Return every stored checkpoint (position, root, created_at) in position order; none before the first digest."""
    if not inspect(store.engine).has_table(checkpoints_table.name):
        return []
    with store.engine.connect() as connection:
        rows = connection.execute(select(checkpoints_table).order_by(checkpoints_table.c.position)).all()
    return [(row.position, row.root, row.created_at) for row in rows]
