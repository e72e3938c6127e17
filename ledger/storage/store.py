"""The event store: the library's events table and notification log, plus the
side tables that make appends cheap (``ledger.side_tables``), all written in one
transaction per batch (``ledger.write_transaction``).

A stream's head (last version and hash) is its last event, found through the
library's (stream, version) index: a table of heads cost every append one more
row to write (a sixth of a single append's time, measured), for nothing a
lookup of that index does not give.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Engine, Table, func, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from commands.records import RecordedEvent, stream_id_for
from ledger.errors import DatabaseUnavailableError
from ledger.storage.mapper import LedgerMapper
from ledger.storage.persistence import SQLITE_CACHE_KIB, LedgerApplication
from ledger.storage.side_tables import event_ids_table, metadata
from ledger.storage.write_sql import WriteStatements
from ledger.storage.write_transaction import WriteTransaction, postgres_transaction, sqlite_transaction

# Any key shared by the processes that create the ledger's tables (pg_advisory_xact_lock).
SCHEMA_LOCK = 0x6C65646765720001
# A whole-log scan reads each page once, in order: the OS's file cache serves it as fast as SQLite's
# own page cache, which grew to 256 MiB in each process, and a cold process paid the page faults of
# filling it. Measured at 1,000,000 events on 2026-12-02, verify in two processes: 239,000-307,000
# events/s (first process 369 MiB) with that cache, 302,000-387,000 (119 MiB) with this one; and
# earlier a rebuild: 5.4 s either way, both processes 370 MiB against 250 MiB.
SCAN_CACHE_KIB = 16 * 1024


class EventStore:
    """Customer streams on top of the eventsourcing library's SQLAlchemy recorder."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL"):
        try:
            self.application = LedgerApplication(
                env={
                    "PERSISTENCE_MODULE": "ledger.storage.persistence:LedgerFactory",
                    "SQLALCHEMY_URL": url,
                    "SQLITE_SYNCHRONOUS": sqlite_synchronous,
                    # Created below under the schema lock: processes opening a new database at once raced.
                    "CREATE_TABLE": "no",
                }
            )
            self.recorder = self.application.recorder
            engine = self.recorder.datastore.engine  # type: ignore[attr-defined]
            assert isinstance(engine, Engine)
            self.engine = engine
            self.is_postgres = engine.dialect.name == "postgresql"
            # The driver's parameter placeholder, for the hot reads that bypass SQLAlchemy Core.
            self.mark = "%s" if self.is_postgres else "?"
            self.ensure_tables([*self.recorder.tables, *metadata.sorted_tables])  # type: ignore[attr-defined]
        except Exception as error:  # the library wraps driver errors in several ways
            raise DatabaseUnavailableError(f"cannot open database {_redact(url)}: {_first_line(error)}") from None
        self.events_table: Table = self.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
        self.mapper = LedgerMapper()
        self.write_sql = WriteStatements(self.events_table, self.is_postgres, self.recorder.channel_name)  # type: ignore[attr-defined]
        self.driver_errors = (OperationalError, self.engine.dialect.loaded_dbapi.OperationalError)
        # Write connections between writes, checked out of the pool: one per thread that writes at once.
        self._idle_writers: list[Any] = []

    def ensure_tables(self, tables: list[Table]) -> None:
        """Create whichever of these tables are missing; a read first, so that opening an existing ledger takes no lock."""
        inspector = inspect(self.engine)
        if all(inspector.has_table(table.name) for table in tables):
            return
        with self.schema_transaction() as connection:
            for table in tables:
                table.create(connection, checkfirst=True)

    @contextmanager
    def schema_transaction(self) -> Iterator[Connection]:
        """Open a transaction in which to create tables if missing, one process or thread at a time.

        A check-then-create in a plain transaction races: on SQLite two readers that both
        upgrade to writing get "database is locked" at once (no busy wait), on PostgreSQL
        the second CREATE fails on the catalog. SQLite takes the write lock up front;
        PostgreSQL an advisory lock for the transaction.
        """
        connection = self.engine.connect()
        if not self.is_postgres:
            connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        try:
            with connection.begin():
                if self.is_postgres:
                    connection.execute(text(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})"))
                yield connection
        finally:
            connection.close()

    def shareable(self) -> bool:
        """Whether a second process would help: another core, and a database it can open (not in-memory SQLite)."""
        database = self.engine.url.database
        in_memory = not self.is_postgres and (database in (None, "", ":memory:") or "mode=memory" in str(self.engine.url))
        return (os.cpu_count() or 1) > 1 and not in_memory

    def driver_uuid(self, stream_id: UUID) -> Any:
        """Return a stream id as the events table's column expects it from the driver (16 bytes on SQLite)."""
        return stream_id if self.is_postgres else stream_id.bytes

    def close(self) -> None:
        """Release every pooled connection."""
        while self._idle_writers:
            self._idle_writers.pop().close()
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        """Open the single write transaction of a batch, holding the log's write lock.

        It runs on a DB-API connection of the pool, kept between writes (see ``_idle_writers``):
        SQLAlchemy's connection and transaction objects cost a single append 18 µs (of about 200)
        to open, commit and close, and the pool's checkout and return 22 µs more.
        """
        connection = self._writer()
        try:
            with self.driver_transaction(connection) as cursor:
                transaction = WriteTransaction(self, cursor)
                yield transaction
                if self.is_postgres and transaction.recorded:
                    cursor.execute(self.write_sql.postgres_notify)
        except BaseException as error:
            self._keep_or_discard(connection)
            if isinstance(error, self.driver_errors):
                raise DatabaseUnavailableError(f"database write failed: {_first_line(error)}") from None
            raise
        self._idle_writers.append(connection)

    def _keep_or_discard(self, connection: Any) -> None:
        """Keep a write connection that a failed write rolled back; close one that broke (a server restarted, say)."""
        driver = connection.driver_connection
        try:
            if self.is_postgres:
                usable = not driver.closed and driver.info.transaction_status.name == "IDLE"
            else:
                usable = not driver.in_transaction  # raises on a closed connection
        except Exception:
            usable = False
        if usable:
            self._idle_writers.append(connection)
            return
        with contextlib.suppress(Exception):  # the pool opens a new one in its place
            connection.invalidate()
            connection.close()

    def _writer(self) -> Any:
        """Return a write connection left by an earlier write, or a new one from the pool."""
        try:
            return self._idle_writers.pop()  # atomic: two threads never get the same one
        except IndexError:
            return self.engine.raw_connection()

    def driver_transaction(self, connection: Any) -> contextlib.AbstractContextManager[Any]:
        """Run a write transaction on a pooled DB-API connection, yielding its cursor; commit unless it raises."""
        return postgres_transaction(connection, self.write_sql) if self.is_postgres else sqlite_transaction(connection)

    @contextmanager
    def scan_connection(self) -> Iterator[Connection]:
        """Open a connection to scan the whole log on, with a small SQLite page cache while it does."""
        with self.engine.connect() as connection:
            if self.is_postgres:
                yield connection
                return
            connection.exec_driver_sql(f"PRAGMA cache_size = -{SCAN_CACHE_KIB}")
            try:
                yield connection
            finally:  # a pooled connection: back to the ledger's cache for whoever uses it next
                connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")

    def stream(self, customer: str) -> list[RecordedEvent]:
        """Return a customer's events in stream order (empty if the customer is unknown)."""
        table = self.events_table
        query = (
            select(table.c.id, table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state)
            .where(table.c.originator_id == stream_id_for(customer))
            .order_by(table.c.originator_version)
        )
        return self._decode(query)

    def log(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Return up to limit events of the global log after a position, in log order."""
        table = self.events_table
        query = (
            select(table.c.id, table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state)
            .where(table.c.id > after)
            .order_by(table.c.id)
            .limit(limit)
        )
        return self._decode(query)

    def max_position(self) -> int:
        """Return the position of the newest event in the log (0 when empty)."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.coalesce(func.max(self.events_table.c.id), 0))).scalar_one()

    def position_of(self, event_id: str) -> int:
        """Return the log position of a stored event_id."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(event_ids_table.c.position).where(event_ids_table.c.event_id == event_id)
            ).scalar_one()

    def customer_of(self, event_id: str) -> str | None:
        """Return the customer of a stored event, or None if no event has this id."""
        ids, table = event_ids_table.c, self.events_table
        query = (
            select(table.c.state).join_from(event_ids_table, table, table.c.id == ids.position).where(ids.event_id == event_id)
        )
        with self.engine.connect() as connection:
            state = connection.execute(query).scalar_one_or_none()
        return None if state is None else str(self.mapper.transcoder.decode(bytes(state))["customer"])

    def _decode(self, query: Any) -> list[RecordedEvent]:
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            self.mapper.to_recorded_event(
                Notification(id=row[0], originator_id=row[1], originator_version=row[2], topic=row[3], state=bytes(row[4]))
            )
            for row in rows
        ]


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"
