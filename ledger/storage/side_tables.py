"""The small tables that make appends cheap: the event_id index, order balances and complaint states.

They are SQLite ``WITHOUT ROWID`` tables (one b-tree each instead of a rowid table
plus its key's index), and the index of voids and corrections by target holds only
those: a commit writes every page it dirtied, so each b-tree an append touches costs
it a page in the write-ahead log (figures in bench/README.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from sqlalchemy import BigInteger, Boolean, Column, Index, LargeBinary, MetaData, String, Table, Text, Uuid

from commands.event_fields import EventData
from commands.records import NewEvent

metadata = MetaData()
CONTENT_HASH_COLUMN = "content_hash"

event_ids_table = Table(
    "ledger_event_ids",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
    # For voids and corrections: the event they refer to; for any event: whether it was voided.
    Column("target_event_id", String(200), nullable=True),
    Column("voided", Boolean, nullable=False, default=False),
    # What makes a reused event_id a duplicate rather than a conflict (see ``content_hash``). Null on
    # rows written before it existed: those ids count as duplicates whatever comes with them.
    Column(CONTENT_HASH_COLUMN, String(32), nullable=True),
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
# One data key per customer, wrapped by the master key (ledger.privacy). Erasure sets wrapped to NULL:
# the row stays as the mark that the customer was erased, the key is gone.
data_keys_table = Table(
    "ledger_data_keys",
    metadata,
    Column("stream_id", Uuid, primary_key=True),
    Column("wrapped", LargeBinary, nullable=True),
    Column("master_key_id", String(32), nullable=True),
    Column("erased_at", Text, nullable=True),
    sqlite_with_rowid=False,
)

# Who holds each identifier, and who held it before (ledger.identity): one row per holding, found by the
# identifier's blind index (a keyed hash, never the value). The current holding's until_position is 0, so the
# key itself allows one current holder per identifier, without an index beside it. Keyed by the identifier,
# not the customer, so that moving a holding to another customer is an update of rows found by identifier.
HELD = 0
identifiers_table = Table(
    "ledger_identifiers",
    metadata,
    Column("blind", String(64), primary_key=True),
    Column("until_position", BigInteger, primary_key=True),  # HELD while the holding lasts
    Column("kind", String(32), nullable=False),
    Column("stream_id", Uuid, nullable=False),
    Column("customer", String(200), nullable=False),
    Column("since", Text, nullable=False),
    Column("since_position", BigInteger, nullable=False),
    Column("until", Text, nullable=True),
    sqlite_with_rowid=False,
)


def content_hash(event: NewEvent) -> str:
    """Return the hash of what an event says: its customer, type and data but for its personal fields.

    Not its times or provenance: a retry of an append without occurred_at takes the time of
    the retry, and a retry from another service or actor says the same thing. Not personal
    data either: this hash outlives an erasure, and a hash of a name or an e-mail address
    would let anyone confirm a guess at it.
    """
    return content_hash_of(event.customer, event.data)


def content_hash_of(customer: str, data: EventData) -> str:
    """Return ``content_hash`` of a customer's event data."""
    personal = data.personal_fields
    # The fields as they are (decimals as their text): a third cheaper than pydantic's own JSON of them.
    facts = {name: value for name, value in data.__dict__.items() if value is not None and name not in personal}
    return content_hash_of_facts(customer, data.wire_name, facts)


def content_hash_of_facts(customer: str, wire_name: str, facts: dict[str, Any]) -> str:
    """Return ``content_hash`` of an event's non-personal fields that are not None, in field order.

    Stored events' too (``ledger.audit.side_fold``): their JSON values hash as the values do.
    """
    said = orjson.dumps((customer, wire_name, facts), default=str)
    return hashlib.blake2b(said, digest_size=16).hexdigest()
