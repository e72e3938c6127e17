"""The small tables that make appends cheap: the event_id index, order balances and complaint states.

They are SQLite ``WITHOUT ROWID`` tables (one b-tree each instead of a rowid table
plus its key's index), and the index of voids and corrections by target holds only
those: a commit writes every page it dirtied, so each b-tree an append touches costs
it a page in the write-ahead log (measured: 68 to 48 µs per committed event and
event_id row).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Uuid

metadata = MetaData()

event_ids_table = Table(
    "ledger_event_ids",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
    # For voids and corrections: the event they refer to; for any event: whether it was voided.
    Column("target_event_id", String(200), nullable=True),
    Column("voided", Boolean, nullable=False, default=False),
    sqlite_with_rowid=False,
)
Index(
    "ledger_event_ids_by_target",
    event_ids_table.c.target_event_id,
    sqlite_where=event_ids_table.c.target_event_id.is_not(None),
    postgresql_where=event_ids_table.c.target_event_id.is_not(None),
)
orders_table = Table(
    "ledger_orders",
    metadata,
    # order_id leads the key: a batch looks orders up by id, then keeps its customer's.
    Column("order_id", String(200), primary_key=True),
    Column("stream_id", Uuid, primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("refunded_minor", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
complaints_table = Table(
    "ledger_complaints",
    metadata,
    Column("complaint_id", String(200), primary_key=True),
    Column("stream_id", Uuid, primary_key=True),
    Column("status", String(16), nullable=False),
    sqlite_with_rowid=False,
)
