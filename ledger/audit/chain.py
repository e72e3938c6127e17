"""Reading the raw log and the rolling root hash that digests and checkpoints commit to."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, select

from commands.records import GENESIS_HASH
from ledger.storage.store import EventStore

PAGE_SIZE = 10_000
DIGEST_FORMAT: Literal["ledger-digest/1"] = "ledger-digest/1"

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


def raw_rows(store: EventStore, after: int = 0, stream_id: UUID | None = None) -> Iterator[Any]:
    """Yield raw rows (id, originator_id, originator_version, topic, state) in log order, page by page."""
    table = store.events_table
    columns = (table.c.id, table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state)
    while True:
        query = select(*columns).where(table.c.id > after).order_by(table.c.id).limit(PAGE_SIZE)
        if stream_id is not None:
            query = query.where(table.c.originator_id == stream_id)
        with store.engine.connect() as connection:
            rows = connection.execute(query).all()
        yield from rows
        if len(rows) < PAGE_SIZE:
            return
        after = rows[-1][0]


def driver_pages(
    store: EventStore, after: int = 0, until: int | None = None, page_size: int = PAGE_SIZE
) -> Iterator[Sequence[Any]]:
    """Yield pages of raw rows (id, originator_id, originator_version, topic, state) after a position, in log order.

    Through the DB-API cursor, as the driver returns them: SQLAlchemy's per-row processing
    (the UUID type above all) cost more than reading and hashing.
    """
    mark = store.mark
    bound = f" AND id <= {int(until)}" if until is not None else ""
    sql = (
        f"SELECT id, originator_id, originator_version, topic, state FROM {store.events_table.name} "
        f"WHERE id > {mark}{bound} ORDER BY id LIMIT {int(page_size)}"
    )
    with store.scan_connection() as connection:
        while True:
            cursor = connection.connection.cursor()
            cursor.execute(sql, (after,))
            rows = cursor.fetchall()
            cursor.close()
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            after = rows[-1][0]


def ensure_checkpoints_table(store: EventStore) -> None:
    """Create the checkpoints table on first use."""
    store.ensure_tables([checkpoints_table])


def checkpoints(store: EventStore) -> list[tuple[int, str, datetime]]:
    """Return every stored checkpoint (position, root, created_at) in position order."""
    ensure_checkpoints_table(store)
    with store.engine.connect() as connection:
        rows = connection.execute(select(checkpoints_table).order_by(checkpoints_table.c.position)).all()
    return [(row.position, row.root, row.created_at) for row in rows]


GENESIS_ROOT = GENESIS_HASH
