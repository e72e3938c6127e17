"""The event store: the library's events table and notification log, plus the
small tables that make appends cheap (order balances, complaint states, the
event_id index), all written in one transaction per batch.

A stream's head (last version and hash) is its last event, found through the
library's (stream, version) index: a table of heads cost every append one more
row to write (a sixth of a single append's time, measured), for nothing a
lookup of that index does not give.

The side tables are SQLite ``WITHOUT ROWID`` tables (one b-tree each instead of
a rowid table plus its key's index), and the index of voids and corrections by
target holds only those: a commit writes every page it dirtied, so each b-tree
an append touches costs it a page in the write-ahead log (measured: 68 to 48 µs
per committed event and event_id row).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from ledger.errors import DatabaseUnavailableError
from ledger.events import (
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    ComplaintResponded,
    EventCorrected,
    EventVoided,
    PurchaseRecorded,
    RefundIssued,
)
from ledger.persistence import LedgerApplication
from ledger.recorded import TOPIC_BY_TYPE, LedgerMapper, NewEvent, RecordedEvent, seal, stored_hash, stored_state, stream_id_for
from ledger.stream import ComplaintStatus, OrderBalance, StreamState, Target
from ledger.timeutil import format_utc
from ledger.write_sql import WriteStatements

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

# Any key shared by the processes that create the ledger's tables (pg_advisory_xact_lock).
SCHEMA_LOCK = 0x6C65646765720001
# Keeps every IN (...) list well under SQLite's bound-parameter limit.
IN_CHUNK = 500
COMPLAINT_EVENTS = (ComplaintFiled, ComplaintResponded, ComplaintResolved, ComplaintReopened)


def _chunks(items: list[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class EventStore:
    """Customer streams on top of the eventsourcing library's SQLAlchemy recorder."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL"):
        try:
            self.application = LedgerApplication(
                env={
                    "PERSISTENCE_MODULE": "ledger.persistence:LedgerFactory",
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
            self.ensure_tables([*self.recorder.tables, *metadata.sorted_tables])  # type: ignore[attr-defined]
        except Exception as error:  # the library wraps driver errors in several ways
            raise DatabaseUnavailableError(f"cannot open database {_redact(url)}: {_first_line(error)}") from None
        self.events_table: Table = self.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
        self.mapper = LedgerMapper()
        self.write_sql = WriteStatements(self.events_table, self.is_postgres, self.recorder.channel_name)  # type: ignore[attr-defined]
        self.driver_errors = (OperationalError, self.engine.dialect.loaded_dbapi.OperationalError)

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

    def driver_uuid(self, stream_id: UUID) -> Any:
        """Return a stream id as the events table's column expects it from the driver (16 bytes on SQLite)."""
        return stream_id if self.is_postgres else stream_id.bytes

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        """Open the single write transaction of a batch, holding the log's write lock.

        It runs on the pool's DB-API connection: SQLAlchemy's connection and transaction
        objects cost a single append 18 µs (of about 200) to open, commit and close.
        """
        connection = self.engine.raw_connection()
        try:
            with self.driver_transaction(connection) as cursor:
                transaction = WriteTransaction(self, cursor)
                yield transaction
                if self.is_postgres and transaction.recorded:
                    cursor.execute(self.write_sql.postgres_notify)
        except self.driver_errors as error:
            raise DatabaseUnavailableError(f"database write failed: {_first_line(error)}") from None
        finally:
            connection.close()

    def driver_transaction(self, connection: Any) -> contextlib.AbstractContextManager[Any]:
        """Run a write transaction on a pooled DB-API connection, yielding its cursor; commit unless it raises."""
        return _postgres_transaction(connection, self.write_sql) if self.is_postgres else _sqlite_transaction(connection)

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


class WriteTransaction:
    """Loads the stream state a batch needs and records its events, inside one transaction."""

    def __init__(self, store: EventStore, cursor: Any):
        self.store = store
        self.sql = store.write_sql
        self.cursor = cursor  # the DB-API cursor of the transaction (see ledger.write_sql)
        self.streams: dict[str, StreamState] = {}
        self._looked_up_orders: set[tuple[str, str]] = set()
        self._looked_up_complaints: set[tuple[str, str]] = set()
        self.position: int | None = None  # the log's last position, once read: the write lock keeps it ours
        self.recorded = 0

    def prepare(self, events: list[NewEvent]) -> set[str]:
        """Load what a batch's rules need (once per transaction) and return which of its event ids are stored.

        The event ids, the stream heads, orders and complaints the events name and the log's
        last position are all queried before any result is read: on PostgreSQL that is one
        round trip. Voids and corrections then load their targets and the orders those name.
        """
        pending: list[tuple[Any, Callable[[list[Any]], None]]] = []
        taken: set[str] = set()
        for chunk in _chunks(list({e.event_id for e in events})):
            pending.append((self._query(self.sql.existing_event_ids(len(chunk)), chunk), _adding_first_column_to(taken)))
        self._queue_heads(pending, list({e.customer: None for e in events if e.customer not in self.streams}))
        orders = {(e.customer, e.data.order_id) for e in events if isinstance(e.data, PurchaseRecorded | RefundIssued)}
        self._queue_orders(pending, orders)
        complaints = {(e.customer, e.data.complaint_id) for e in events if isinstance(e.data, COMPLAINT_EVENTS)}
        self._queue_complaints(pending, complaints)
        if self.position is None:
            pending.append((self._query(self.sql.max_position, ()), self._set_position))
        _fetch(pending)
        targets = self._load_targets([e for e in events if e.event_id not in taken])
        # Only a stream's own targets move its orders; a foreign target is refused by the rules.
        target_orders = {(t.customer, t.data["order_id"]) for t in targets if "order_id" in t.data}
        pending = []
        self._queue_orders(pending, target_orders)
        _fetch(pending)
        return taken

    def _query(self, sql: str, parameters: Any) -> Any:
        """Run a statement on a cursor of its own and return the cursor, its rows not read yet."""
        cursor = self.cursor.connection.cursor()
        cursor.execute(sql, parameters)
        return cursor

    def _rows(self, sql: str, parameters: Any) -> list[Any]:
        self.cursor.execute(sql, parameters)
        return list(self.cursor.fetchall())

    def _set_position(self, rows: list[Any]) -> None:
        self.position = rows[0][0]

    def _queue_heads(self, pending: list[tuple[Any, Callable[[list[Any]], None]]], customers: list[str]) -> None:
        """Create the state of streams not loaded yet and queue the lookup of their heads."""
        driver_uuid = self.store.driver_uuid
        for customer in customers:
            self.streams[customer] = StreamState(stream_id_for(customer), customer)
        for chunk in _chunks(customers):
            # Keyed by the driver's form of the id, so that no UUID is built from what comes back.
            state_of = {driver_uuid(self.streams[c].stream_id): self.streams[c] for c in chunk}

            def set_heads(rows: list[Any], state_of: dict[Any, StreamState] = state_of) -> None:
                for stored_id, version, stored in rows:
                    state = state_of[stored_id]
                    state.version, state.last_hash = version, stored_hash(bytes(stored))

            pending.append((self._query(self.sql.stream_heads(len(chunk)), list(state_of)), set_heads))

    def _queue_orders(self, pending: list[tuple[Any, Callable[[list[Any]], None]]], keys: set[tuple[str, str]]) -> None:
        keys -= self._looked_up_orders
        self._looked_up_orders |= keys

        def set_order(state: StreamState, order_id: str, values: tuple[Any, ...]) -> None:
            state.orders[order_id] = OrderBalance(*values)

        self._queue_by_key(pending, orders_table, "order_id", ("currency", "paid_minor", "refunded_minor"), keys, set_order)

    def _queue_complaints(self, pending: list[tuple[Any, Callable[[list[Any]], None]]], keys: set[tuple[str, str]]) -> None:
        keys -= self._looked_up_complaints
        self._looked_up_complaints |= keys

        def set_complaint(state: StreamState, complaint_id: str, values: tuple[Any, ...]) -> None:
            state.complaints[complaint_id] = ComplaintStatus(values[0])

        self._queue_by_key(pending, complaints_table, "complaint_id", ("status",), keys, set_complaint)

    def _queue_by_key(
        self,
        pending: list[tuple[Any, Callable[[list[Any]], None]]],
        table: Table,
        key: str,
        columns: tuple[str, ...],
        keys: set[tuple[str, str]],
        apply: Callable[[StreamState, str, tuple[Any, ...]], None],
    ) -> None:
        """Queue the lookup of these (customer, key) pairs' rows by key (the index's first column)."""
        for chunk in _chunks(sorted(keys)):
            wanted = list({key for _, key in chunk})
            by_stream = {self.sql.side_uuid(self.streams[c].stream_id): self.streams[c] for c, _ in chunk}

            def apply_rows(rows: list[Any], by_stream: dict[Any, StreamState] = by_stream) -> None:
                for stream_id, key, *values in rows:
                    state = by_stream.get(stream_id)
                    if state is not None and (state.customer, key) in keys:
                        apply(state, key, tuple(values))

            pending.append((self._query(self.sql.rows_by_key(table.name, key, columns, len(wanted)), wanted), apply_rows))

    def _load_targets(self, events: list[NewEvent]) -> list[Target]:
        """Load the events that voids and corrections refer to, with their data as corrected so far; return the stream's own."""
        wanted = {e.data.target_event_id: e.customer for e in events if isinstance(e.data, EventVoided | EventCorrected)}
        wanted = {k: c for k, c in wanted.items() if k not in self.streams[c].targets}
        if not wanted:
            return []
        found: dict[str, tuple[Any, ...]] = {}  # by event_id: a row can match two chunks
        for chunk in _chunks(list(wanted)):
            found.update((row[0], row) for row in self._rows(self.sql.targets_and_corrections(len(chunk)), chunk + chunk))
        index = sorted(found.values(), key=lambda row: row[1])  # log order: later corrections win
        states = self._states_at([position for _, position, _, _ in index])
        for event_id, position, voided, target_event_id in index:
            state = states[position]
            if event_id in wanted:
                target = Target(event_id, position, state["customer"], state["type"], dict(state["data"]), bool(voided))
                self.streams[wanted[event_id]].targets[event_id] = target
            elif state["type"] == EventCorrected.wire_name:
                target = self.streams[wanted[target_event_id]].targets[target_event_id]
                target.data.update(state["data"]["changes"])
        loaded = (self.streams[customer].targets.get(event_id) for event_id, customer in wanted.items())
        return [t for t in loaded if t is not None and t.customer == wanted[t.event_id]]

    def _states_at(self, positions: list[int]) -> dict[int, dict[str, Any]]:
        decode = self.store.mapper.transcoder.decode
        states: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(positions):
            rows = self._rows(self.sql.states_at(len(chunk)), chunk)
            states.update((position, decode(bytes(state))) for position, state in rows)
        return states

    def remember(self, event: NewEvent) -> None:
        """Make an event accepted earlier in this transaction a possible target of a later void or correction."""
        targets = self.streams[event.customer].targets
        if event.event_id in targets:
            return
        data = event.data.model_dump(mode="json", exclude_none=True)
        targets[event.event_id] = Target(event.event_id, 0, event.customer, event.data.wire_name, data)

    def record(self, events: list[NewEvent]) -> list[RecordedEvent]:
        """Store events whose rules passed (their state already applied), chaining their hashes."""
        if not events:
            return []
        store = self.store
        if self.position is None:
            self.position = self._rows(self.sql.max_position, ())[0][0]
        position = self.position
        recorded_at = datetime.now(UTC)
        recorded_text = format_utc(recorded_at)
        event_rows: list[tuple[Any, ...]] = []
        recorded: list[RecordedEvent] = []
        for event in events:
            state = self.streams[event.customer]
            position += 1
            state.version += 1
            stored = stored_state(
                event_id=event.event_id,
                customer=event.customer,
                occurred_at=event.occurred_at,
                recorded_at=recorded_text,
                source=event.source,
                actor=event.actor,
                correlation_id=event.correlation_id,
                data=event.data,
                prev_hash=state.last_hash,
            )
            encoded, digest = seal(position, state.stream_text, state.version, stored)
            event_rows.append(
                (position, store.driver_uuid(state.stream_id), state.version, TOPIC_BY_TYPE[event.data.wire_name], encoded)
            )
            recorded.append(
                RecordedEvent(
                    position=position,
                    stream_id=state.stream_id,
                    version=state.version,
                    event_id=event.event_id,
                    customer=event.customer,
                    occurred_at=event.occurred_at,
                    recorded_at=recorded_at,
                    source=event.source,
                    actor=event.actor,
                    correlation_id=event.correlation_id,
                    data=event.data,
                    prev_hash=state.last_hash,
                    hash=digest,
                )
            )
            state.last_hash = digest
        cursor, sql = self.cursor, self.sql
        cursor.executemany(sql.insert_event, event_rows)
        cursor.executemany(sql.insert_event_id, [(r.event_id, r.position, False, _target_of(r.data)) for r in recorded])
        voided = [(r.data.target_event_id,) for r in recorded if isinstance(r.data, EventVoided)]
        if voided:
            cursor.executemany(sql.mark_voided, voided)
        self._save_orders(events)
        self._save_complaints(events)
        self.recorded += len(recorded)
        self.position = position
        return recorded

    def _save_orders(self, events: list[NewEvent]) -> None:
        keys = {(e.customer, e.data.order_id) for e in events if isinstance(e.data, PurchaseRecorded | RefundIssued)}
        for e in events:  # voids and corrections of purchases and refunds move their order's totals
            if isinstance(e.data, EventVoided | EventCorrected):
                order_id = self.streams[e.customer].targets[e.data.target_event_id].data.get("order_id")
                if order_id is not None:
                    keys.add((e.customer, order_id))
        new: list[tuple[Any, ...]] = []
        old: list[tuple[Any, ...]] = []
        for customer, order_id in keys:
            state = self.streams[customer]
            order = state.orders[order_id]
            stream_id = self.sql.side_uuid(state.stream_id)
            if order.is_new:
                new.append((stream_id, order_id, order.currency, order.paid_minor, order.refunded_minor))
                order.is_new = False
            else:
                old.append((order.paid_minor, order.refunded_minor, stream_id, order_id))
        if new:
            self.cursor.executemany(self.sql.insert_order, new)
        if old:
            self.cursor.executemany(self.sql.update_order, old)

    def _save_complaints(self, events: list[NewEvent]) -> None:
        keys = {
            (e.customer, e.data.complaint_id)
            for e in events
            if isinstance(e.data, ComplaintFiled | ComplaintResolved | ComplaintReopened)
        }
        new: list[tuple[Any, ...]] = []
        old: list[tuple[Any, ...]] = []
        for customer, complaint_id in keys:
            state = self.streams[customer]
            status, stream_id = state.complaints[complaint_id].value, self.sql.side_uuid(state.stream_id)
            if complaint_id in state.new_complaints:
                new.append((stream_id, complaint_id, status))
                state.new_complaints.discard(complaint_id)
            else:
                old.append((status, stream_id, complaint_id))
        if new:
            self.cursor.executemany(self.sql.insert_complaint, new)
        if old:
            self.cursor.executemany(self.sql.update_complaint, old)


@contextmanager
def _sqlite_transaction(connection: Any) -> Iterator[Any]:
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
def _postgres_transaction(connection: Any, sql: WriteStatements) -> Iterator[Any]:
    """A transaction in psycopg's pipeline mode: statements are queued until a result is needed.

    Each statement is otherwise a round trip to the server (about 100 µs on loopback here,
    and the server shares the cores). BEGIN and COMMIT are queued as statements, in autocommit
    mode, because psycopg waits for the server after its own BEGIN: the opening statements
    then share one round trip with a batch's lookups, and the writes, NOTIFY and COMMIT another.
    """
    driver = connection.driver_connection
    driver.autocommit = True
    try:
        with driver.pipeline():
            cursor = connection.cursor()
            for statement in ("BEGIN", *sql.postgres_begin):
                cursor.execute(statement)
            yield cursor  # on an error, leaving the pipeline sends what is queued; the ROLLBACK below ends it
            cursor.execute("COMMIT")
    finally:
        try:
            if driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                driver.execute("ROLLBACK")
        finally:
            driver.autocommit = False


def _adding_first_column_to(found: set[Any]) -> Callable[[list[Any]], None]:
    return lambda rows: found.update(row[0] for row in rows)


def _fetch(pending: list[tuple[Any, Callable[[list[Any]], None]]]) -> None:
    """Read each queued query's rows, in the order queued, and hand them to its function."""
    for cursor, apply in pending:
        apply(cursor.fetchall())
        cursor.close()


def _target_of(data: Any) -> str | None:
    """Return the event a void or correction refers to (an isinstance test: a missing attribute costs pydantic 2 µs)."""
    return data.target_event_id if isinstance(data, EventVoided | EventCorrected) else None


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"
