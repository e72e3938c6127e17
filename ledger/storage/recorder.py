"""The ledger's recorder: the library's SQLAlchemy application recorder, with the ledger's write path inside.

It is an ``ApplicationRecorder`` in the library's own terms (``insert_events``,
``select_events``, ``select_notifications``, ``max_notification_id``, ``subscribe``),
so that the library's ``ProjectionRunner`` can follow the ledger and another recorder
could take its place. Its fast path, ``write()``, is the ledger's batched (and on
PostgreSQL pipelined) transaction that also keeps the event-id index, the side tables
and the hash chain. Both write the same way: on a kept DB-API connection, holding the
log's write lock (SQLite BEGIN IMMEDIATE, PostgreSQL LOCK TABLE ... IN EXCLUSIVE MODE),
assigning positions after the log's head, so that positions are gapless and grow in
commit order; on PostgreSQL both send the NOTIFY that subscriptions listen for.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Notification, OperationalError, StoredEvent, Subscription
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import Engine, Table
from sqlalchemy.exc import OperationalError as SQLAlchemyOperationalError

from ledger.errors import DatabaseUnavailableError
from ledger.storage import log_reader
from ledger.storage.mapper import OrjsonTranscoder
from ledger.storage.subscription import PollingSubscription
from ledger.storage.write_sql import WriteStatements
from ledger.storage.write_transaction import WriteTransaction


class LedgerRecorder(SQLAlchemyApplicationRecorder):
    """The library's SQLAlchemy application recorder, writing with driver SQL under the log's write lock."""

    def __init__(self, datastore: SQLAlchemyDatastore, *, events_table_name: str, schema_name: str | None = None):
        super().__init__(datastore, events_table_name=events_table_name, schema_name=schema_name)
        engine = datastore.engine
        assert isinstance(engine, Engine)
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        # The driver's parameter placeholder, for the statements that bypass SQLAlchemy Core.
        self.mark = "%s" if self.is_postgres else "?"
        self.events_table: Table = self.events_record_cls.__table__  # type: ignore[attr-defined]
        self.write_sql = WriteStatements(self.events_table, self.is_postgres, self.channel_name)
        self.decode = OrjsonTranscoder().decode
        dbapi = engine.dialect.loaded_dbapi
        # A lost or refused connection: psycopg raises InterfaceError for some, as on a connection closed under it.
        self.driver_errors = (SQLAlchemyOperationalError, dbapi.OperationalError, dbapi.InterfaceError)
        self.integrity_error = dbapi.IntegrityError
        # Write connections between writes, checked out of the pool: one per thread that writes at once.
        self._idle_writers: list[Any] = []

    def driver_uuid(self, stream_id: UUID) -> Any:
        """Return a stream id as the events table's column expects it from the driver (16 bytes on SQLite)."""
        return stream_id if self.is_postgres else stream_id.bytes

    # --- the ledger's write path ---

    @contextmanager
    def write(self, *, bulk: bool = False) -> Iterator[WriteTransaction]:
        """Open the single write transaction of a batch, holding the log's write lock.

        It runs on a DB-API connection of the pool, kept between writes (see ``_idle_writers``):
        SQLAlchemy's connection and transaction objects cost a single append 18 µs (of about 200)
        to open, commit and close, and the pool's checkout and return 22 µs more. A bulk write
        (an import's) on PostgreSQL copies its rows with COPY, outside pipeline mode, which has no COPY.
        """
        copy_rows = bulk and self.is_postgres
        try:
            with self._locked_cursor(pipelined=not copy_rows) as cursor:
                transaction = WriteTransaction(cursor, self.write_sql, self.decode, self.driver_uuid, copy_rows=copy_rows)
                yield transaction
                if self.is_postgres and transaction.recorded:
                    cursor.execute(self.write_sql.postgres_notify)
        except self.driver_errors as error:
            raise DatabaseUnavailableError(f"database write failed: {first_line(error)}") from None
        except sqlite3.ProgrammingError as error:
            if not closed_database(error):
                raise
            raise DatabaseUnavailableError(f"database write failed: {first_line(error)}") from None

    # --- the library's recorder interface ---

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        """Append stored events of any application at the next positions; raise IntegrityError on a taken version."""
        try:
            with self._locked_cursor() as cursor:
                cursor.execute(self.write_sql.max_position)
                head = cursor.fetchone()[0]
                rows = [
                    (head + n, self._driver_id(e.originator_id), e.originator_version, e.topic, e.state)
                    for n, e in enumerate(stored_events, 1)
                ]
                cursor.executemany(self.write_sql.insert_event, rows)
                if self.is_postgres and rows:
                    cursor.execute(self.write_sql.postgres_notify)
        except self.integrity_error as error:
            raise IntegrityError(error) from error
        except self.driver_errors as error:
            raise OperationalError(error) from error
        return [row[0] for row in rows]

    def select_events(
        self,
        originator_id: UUID | str,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        """Return a stream's stored events in version order (descending if asked), within bounds."""
        with self.engine.connect() as connection:
            rows = log_reader.stream_rows(
                self, connection, self._driver_id(originator_id), gt=gt, lte=lte, desc=desc, limit=limit
            )
        return [
            StoredEvent(originator_id=log_reader.as_uuid(row[1]), originator_version=row[2], topic=row[3], state=bytes(row[4]))
            for row in rows
        ]

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        """Return up to limit events of the log from start (after it, unless inclusive) up to stop, in log order."""
        with self.engine.connect() as connection:
            return log_reader.notifications(self, connection, start, limit, stop, topics, inclusive_of_start=inclusive_of_start)

    def max_notification_id(self) -> int | None:
        """Return the newest log position, or None when the log is empty."""
        with self.engine.connect() as connection:
            return log_reader.log_head(self, connection) or None

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[Any]:
        """Follow the log after a position: LISTEN/NOTIFY on PostgreSQL (the library's), polling by position on SQLite."""
        if self.is_postgres:
            return super().subscribe(gt=gt, topics=topics)
        return PollingSubscription(recorder=self, gt=gt, topics=topics)

    def close(self) -> None:
        """Release the kept write connections and every pooled one."""
        while self._idle_writers:
            self._idle_writers.pop().close()
        self.engine.dispose()

    # --- write connections ---

    def driver_transaction(self, connection: Any, *, pipelined: bool = True) -> contextlib.AbstractContextManager[Any]:
        """Run a write transaction on a pooled DB-API connection, yielding its cursor; commit unless it raises."""
        if self.is_postgres:
            return postgres_transaction(connection, self.write_sql, pipelined=pipelined)
        return sqlite_transaction(connection)

    @contextmanager
    def _locked_cursor(self, *, pipelined: bool = True) -> Iterator[Any]:
        """Run a write transaction, holding the write lock, on a kept connection; keep it after, unless it broke."""
        connection = self._writer()
        try:
            with self.driver_transaction(connection, pipelined=pipelined) as cursor:
                yield cursor
        except BaseException:
            self._keep_or_discard(connection)
            raise
        self._idle_writers.append(connection)

    def _writer(self) -> Any:
        """Return a write connection left by an earlier write, or a new one from the pool."""
        try:
            return self._idle_writers.pop()  # atomic: two threads never get the same one
        except IndexError:
            return self.engine.raw_connection()

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

    def _driver_id(self, originator_id: UUID | str) -> Any:
        return self.driver_uuid(originator_id if isinstance(originator_id, UUID) else UUID(originator_id))


@contextmanager
def sqlite_transaction(connection: Any) -> Iterator[Any]:
    """BEGIN IMMEDIATE: the write lock up front, so that a writer waits for another instead of failing on its first write."""
    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    try:
        yield cursor
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


@contextmanager
def postgres_transaction(connection: Any, sql: WriteStatements, *, pipelined: bool = True) -> Iterator[Any]:
    """A transaction in psycopg's pipeline mode (unless not pipelined): statements are queued until a result is needed.

    Each statement is otherwise a round trip to the server (about 100 µs on loopback here,
    and the server shares the cores). BEGIN and COMMIT are queued as statements, in autocommit
    mode, because psycopg waits for the server after its own BEGIN: the opening statements
    then share one round trip with a batch's lookups, and the writes, NOTIFY and COMMIT another.
    A bulk write forgoes the pipeline for COPY: its round trips are few per thousand events.
    """
    from psycopg.pq import TransactionStatus  # here: SQLite users need not load psycopg (0.1 s)

    driver = connection.driver_connection
    driver.autocommit = True
    try:
        with driver.pipeline() if pipelined else contextlib.nullcontext():
            cursor = connection.cursor()
            for statement in ("BEGIN", *sql.postgres_begin):
                cursor.execute(statement)
            yield cursor  # on an error, leaving the pipeline sends what is queued; the ROLLBACK below ends it
            cursor.execute("COMMIT")
    finally:
        try:
            if driver.info.transaction_status != TransactionStatus.IDLE:
                driver.execute("ROLLBACK")
        finally:
            driver.autocommit = False


def closed_database(error: BaseException) -> bool:
    """Tell whether sqlite3 refused a statement because its connection was closed (it says so as a ProgrammingError)."""
    return isinstance(error, sqlite3.ProgrammingError) and "closed database" in str(error)


def first_line(error: BaseException) -> str:
    """Return the first line of an error's message (drivers add SQL and hints below it)."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
