"""The event store: the ledger's recorder (``ledger.storage.recorder``), which writes
the library's events table and the side tables that make appends cheap in one
transaction per batch, and the reads the application makes of the log, all through
the one log reader (``ledger.storage.log_reader``).

A stream's head (last version and hash) is its last event, found through the
library's (stream, version) index: a table of heads cost every append one more
row to write (a good part of a single append's time), for nothing a
lookup of that index does not give.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Table, inspect, select, text
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import exc as sqlalchemy_errors
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError

from commands.records import RecordedEvent, stream_id_for
from ledger.errors import DatabaseUnavailableError, NoLedgerError
from ledger.identity.index import IdentityIndex
from ledger.identity.transaction import TransactionIdentity
from ledger.privacy.keyring import KeyRing
from ledger.privacy.master_key import MasterKey
from ledger.storage import log_reader
from ledger.storage.mapper import SEALED_HIDDEN, LedgerMapper, PersonalView
from ledger.storage.persistence import SQLITE_CACHE_KIB, LedgerApplication
from ledger.storage.recorder import LedgerRecorder, first_line
from ledger.storage.side_tables import CONTENT_HASH_COLUMN, data_keys_table, event_ids_table, metadata
from ledger.storage.urls import missing_sqlite_file
from ledger.storage.write_transaction import WriteTransaction

# Any key shared by the processes that create the ledger's tables (pg_advisory_xact_lock).
SCHEMA_LOCK = 0x6C65646765720001
# A whole-log scan reads each page once, in order: the OS's file cache serves it as fast as SQLite's
# own page cache, which grew to 256 MiB in each process, and a cold process paid the page faults of
# filling it: with this small cache, verify and rebuild run as fast or faster on a third of the memory.
SCAN_CACHE_KIB = 16 * 1024
# Set by bulk_writes for the thread (or task) importing: a context variable, so that another thread's appends
# on the same store stay single writes.
_BULK_WRITES: ContextVar[bool] = ContextVar("bulk_writes", default=False)


class EventStore:
    """Customer streams on the ledger's recorder: its write path, and the application's reads of the log."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", master_key: MasterKey | None = None, create: bool = True):
        """Open the ledger at url; without create, raise NoLedgerError where it has no tables yet (instead of creating them)."""
        if not create and missing_sqlite_file(url):
            raise NoLedgerError(_redact(url))
        try:
            self.application = LedgerApplication(
                env={
                    # Given here too, over any PERSISTENCE_MODULE in the process's environment.
                    "PERSISTENCE_MODULE": "ledger.storage.persistence:LedgerFactory",
                    "SQLALCHEMY_URL": url,
                    "SQLITE_SYNCHRONOUS": sqlite_synchronous,
                    # Created below under the schema lock: processes opening a new database at once raced.
                    "CREATE_TABLE": "no",
                }
            )
            recorder = self.application.recorder
            assert isinstance(recorder, LedgerRecorder)
            self.recorder = recorder
            self.engine = recorder.engine
            sqlalchemy_event.listen(self.engine, "handle_error", _translate_driver_error)
            self.is_postgres = recorder.is_postgres
            self.mark = recorder.mark
            if not create and not inspect(self.engine).has_table(recorder.events_table.name):
                raise NoLedgerError(_redact(url))
            self.upgrade_schema([*recorder.tables, *metadata.sorted_tables])
        except NoLedgerError:
            raise
        except Exception as error:  # the library wraps driver errors in several ways
            raise DatabaseUnavailableError(f"cannot open database {_redact(url)}: {first_line(error)}") from None
        self.events_table: Table = recorder.events_table
        mapper = self.application.mapper
        assert isinstance(mapper, LedgerMapper)
        self.mapper = mapper
        self.keys = KeyRing(master_key, mark=self.mark, side_uuid=recorder.write_sql.side_uuid)
        self.keys.without_key_table = data_keys_table.name in self.missing_tables
        self.identity = IdentityIndex(self.keys)

    def upgrade_schema(self, tables: list[Table]) -> None:
        """Create missing tables and columns; on a database this process may only read, answer queries without them.

        A ledger made before a table existed (the data keys) and opened read-only (a read-only
        file, a role that may only SELECT) has nothing those tables would hold: its reads go on.
        """
        try:
            self.ensure_tables(tables)
            self.ensure_content_hashes()
        except (DatabaseUnavailableError, sqlalchemy_errors.ProgrammingError) as error:
            if not self._refuses_writes(error):
                raise
        self.missing_tables = {table.name for table in tables if not inspect(self.engine).has_table(table.name)}

    def _refuses_writes(self, error: Exception) -> bool:
        """Whether the database refused a schema change because this connection may only read."""
        if not self.is_postgres:
            return "readonly database" in str(error)
        with self.engine.connect() as connection:
            return not connection.execute(text("SELECT has_schema_privilege(current_schema(), 'CREATE')")).scalar()

    def ensure_tables(self, tables: list[Table]) -> None:
        """Create whichever of these tables are missing; a read first, so that opening an existing ledger takes no lock."""
        inspector = inspect(self.engine)
        if all(inspector.has_table(table.name) for table in tables):
            return
        with self.schema_transaction() as connection:
            for table in tables:
                table.create(connection, checkfirst=True)

    def ensure_content_hashes(self) -> None:
        """Add the event-id index's content-hash column to a ledger created before it (nullable: old rows keep none)."""
        if any(c["name"] == CONTENT_HASH_COLUMN for c in inspect(self.engine).get_columns(event_ids_table.name)):
            return
        with self.schema_transaction() as connection:
            if not any(c["name"] == CONTENT_HASH_COLUMN for c in inspect(connection).get_columns(event_ids_table.name)):
                connection.execute(text(f"ALTER TABLE {event_ids_table.name} ADD COLUMN {CONTENT_HASH_COLUMN} VARCHAR(32)"))

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
        return self.recorder.driver_uuid(stream_id)

    def close(self) -> None:
        """Release every pooled connection."""
        self.recorder.close()

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Make this thread's writes bulk writes meanwhile (an import's): PostgreSQL then copies their rows."""
        token = _BULK_WRITES.set(True)
        try:
            yield
        finally:
            _BULK_WRITES.reset(token)

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        """Open the single write transaction of a batch, holding the log's write lock (the recorder's fast path)."""
        with self.recorder.write(bulk=_BULK_WRITES.get()) as transaction:
            transaction.privacy = keys = self.keys.for_transaction(transaction.cursor)
            transaction.identity = TransactionIdentity(self.identity, transaction.cursor)
            # Stored states read in the transaction (targets of corrections) come with their personal values as text.
            transaction.decode = keys.opening(transaction.decode)
            yield transaction
            keys.save()  # the data keys created for the batch's new customers, in its transaction

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

    def stream(self, customer: str, view: PersonalView = SEALED_HIDDEN) -> list[RecordedEvent]:
        """Return a customer's events in stream order (empty if the customer is unknown), personal values as view shows them."""
        stream_id = stream_id_for(customer)
        with self.engine.connect() as connection:
            rows = log_reader.stream_rows(self, connection, self.driver_uuid(stream_id))
        return [
            self.mapper.to_recorded_event(
                Notification(id=row[0], originator_id=stream_id, originator_version=row[2], topic=row[3], state=bytes(row[4])),
                view,
            )
            for row in rows
        ]

    def log(self, after: int = 0, limit: int = 1000, view: PersonalView = SEALED_HIDDEN) -> list[RecordedEvent]:
        """Return up to limit events of the global log after a position, in log order, personal values as view shows them."""
        notifications = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [self.mapper.to_recorded_event(notification, view) for notification in notifications]

    def max_position(self) -> int:
        """Return the position of the newest event in the log (0 when empty)."""
        with self.engine.connect() as connection:
            return log_reader.log_head(self, connection)

    def position_of(self, event_id: str) -> int:
        """Return the log position of a stored event_id."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(event_ids_table.c.position).where(event_ids_table.c.event_id == event_id)
            ).scalar_one()

    def customer_of(self, event_id: str) -> str | None:
        """Return the customer of a stored event, or None if no event has this id."""
        with self.engine.connect() as connection:
            state = log_reader.state_of_event(self, connection, event_id)
        return None if state is None else str(self.mapper.transcoder.decode(state)["customer"])


def _translate_driver_error(context: Any) -> None:
    """Raise a lost or refused connection, on any statement of the engine, as the ledger's DatabaseUnavailableError."""
    if isinstance(context.sqlalchemy_exception, sqlalchemy_errors.OperationalError | sqlalchemy_errors.InterfaceError):
        raise DatabaseUnavailableError(f"database unavailable: {first_line(context.original_exception)}") from None


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"
