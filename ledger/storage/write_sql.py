"""The write path's statements as driver SQL, run on the DB-API cursor of the write transaction.

A single append runs about ten statements; through SQLAlchemy's execution layer each
cost 30-60 µs of Python (parameter processing, result wrapping), several times what
SQLite takes to run it. The tables are still defined and created with SQLAlchemy Core
(``ledger.storage.store``); the write transaction's lookups of stream heads and targets
run here, under the write lock, and every other read of the log in ``ledger.storage.log_reader``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Table

from ledger.storage.log_reader import head_statement, states_at_statement, stream_heads_statement


class WriteStatements:
    """Driver SQL for one database kind, and the conversion of stream ids.

    The side tables' ``Uuid`` columns hold native UUIDs on PostgreSQL and 32 hex digits on
    SQLite (SQLAlchemy's rendering); the events table's own column holds 16 bytes on SQLite.
    """

    def __init__(self, events: Table, is_postgres: bool, channel: str):
        mark = self.mark = "%s" if is_postgres else "?"
        self.events, self.is_postgres = events.name, is_postgres
        # PostgreSQL's opening statements. The lock serialises writers, as the library does, so that
        # positions grow in commit order. Every read of a write transaction is a key lookup, but during
        # a bulk import the planner's statistics lag behind the tables and it picks sequential scans
        # (an event-id lookup then became many times slower as the import went on).
        self.postgres_begin = (f"LOCK TABLE {events.name} IN EXCLUSIVE MODE", "SET LOCAL enable_seqscan = off")
        self.postgres_notify = f"NOTIFY {channel}"  # wakes subscriptions (the library's ApplicationRecorder.subscribe)
        self.side_uuid: Callable[[UUID], Any] = (lambda u: u) if is_postgres else (lambda u: u.hex)
        self.max_position = head_statement(events.name)
        self.insert_event = (
            f"INSERT INTO {events.name} (id, originator_id, originator_version, topic, state) VALUES ({_marks(mark, 5)})"
        )
        self.insert_event_id = (
            f"INSERT INTO ledger_event_ids (event_id, position, voided, target_event_id, content_hash) VALUES ({_marks(mark, 5)})"
        )
        # A bulk write's COPY of the same rows on PostgreSQL, in binary with the columns' own types.
        self.copy_events = f"COPY {events.name} (id, originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
        self.copy_event_types = ("int8", "uuid", "int8", "text", "bytea")
        self.copy_event_ids = (
            "COPY ledger_event_ids (event_id, position, voided, target_event_id, content_hash) FROM STDIN (FORMAT BINARY)"
        )
        self.copy_event_id_types = ("text", "int8", "bool", "text", "text")
        self.mark_voided = f"UPDATE ledger_event_ids SET voided = TRUE WHERE event_id = {mark}"
        self.insert_order = (
            f"INSERT INTO ledger_orders (stream_id, order_id, currency, paid_minor, refunded_minor) VALUES ({_marks(mark, 5)})"
        )
        self.update_order = (
            f"UPDATE ledger_orders SET paid_minor = {mark}, refunded_minor = {mark}"
            f" WHERE stream_id = {mark} AND order_id = {mark}"
        )
        self.insert_complaint = f"INSERT INTO ledger_complaints (stream_id, complaint_id, status) VALUES ({_marks(mark, 3)})"
        self.update_complaint = f"UPDATE ledger_complaints SET status = {mark} WHERE stream_id = {mark} AND complaint_id = {mark}"

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one instance per store, a few list lengths each
    def existing_event_ids(self, count: int) -> str:
        """Return which of ``count`` event ids are stored, with their content hashes."""
        return f"SELECT event_id, content_hash FROM ledger_event_ids WHERE event_id IN ({_marks(self.mark, count)})"

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def stream_heads(self, count: int) -> str:
        """Return the last event (stream_id, version, state) of each of ``count`` streams that has one."""
        return stream_heads_statement(self.events, self.mark, self.is_postgres, count)

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def targets_and_corrections(self, count: int) -> str:
        """Return the index rows (event_id, position, voided, target_event_id) of ``count`` events and of their corrections.

        Takes the ``count`` event ids twice.
        """
        wanted = _marks(self.mark, count)
        return (
            "SELECT event_id, position, voided, target_event_id FROM ledger_event_ids"
            f" WHERE event_id IN ({wanted}) OR target_event_id IN ({wanted})"
        )

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def states_at(self, count: int) -> str:
        """Return the stored states (position, state) at ``count`` log positions."""
        return states_at_statement(self.events, self.mark, count)

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def rows_by_key(self, table: str, key: str, columns: tuple[str, ...], count: int) -> str:
        """Return the rows (stream_id, key, columns...) of a side table with one of ``count`` keys (its index's first column)."""
        return f"SELECT stream_id, {key}, {', '.join(columns)} FROM {table} WHERE {key} IN ({_marks(self.mark, count)})"


def _marks(mark: str, count: int) -> str:
    return ", ".join([mark] * count)
