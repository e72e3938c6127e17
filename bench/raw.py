"""Baselines: what the database does with the same rows and no ledger around it (sqlite3 and psycopg only).

The rows have the shape and size of the ledger's stored events (about 480 B:
the generated event plus the envelope and hashes the ledger adds), in a table
like the library's events table with its (stream, version) unique index.
SQLite gets the ledger's pragmas: WAL, synchronous=NORMAL, a 256 MiB cache.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from bench.context import RunContext, iter_events, libpq_url
from bench.measure import Measurement, check, rate

Row = tuple[int, Any, int, str, bytes]

STREAM_NAMESPACE = uuid.UUID("00000000-0000-0000-0000-00000000b0b0")
SQLITE_PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -262144")
SQLITE_TABLE = (
    "CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, originator_id BINARY(16) NOT NULL,"
    " originator_version INTEGER NOT NULL, topic TEXT NOT NULL, state BLOB NOT NULL)"
)
POSTGRES_TABLE = (
    "CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, originator_id UUID NOT NULL,"
    " originator_version BIGINT NOT NULL, topic TEXT NOT NULL, state BYTEA NOT NULL)"
)
INDEX = "CREATE UNIQUE INDEX events_stream_idx ON events (originator_id, originator_version)"
INSERT = {
    "sqlite": "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
    "postgres": "INSERT INTO events VALUES (%s, %s, %s, %s, %s)",
}
COPY = "COPY events (id, originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
SCAN = "SELECT id, originator_id, originator_version, topic, state FROM ledger_events ORDER BY id"
SCAN_PAGE = 1000
# Events per transaction of an import (ledger.importing.BATCH_SIZE, not imported: the baselines load no ledger code).
BATCH = 10_000


def event_rows(events: Iterable[dict[str, Any]], *, as_bytes: bool) -> list[Row]:
    """Return the events as rows (position, stream id, version, topic, state) of ledger size, ready to insert."""
    streams: dict[str, uuid.UUID] = {}
    versions: dict[str, int] = {}
    rows: list[Row] = []
    for position, event in enumerate(events, start=1):
        customer = event["customer"]
        stream = streams.setdefault(customer, uuid.uuid5(STREAM_NAMESPACE, customer))
        versions[customer] = versions.get(customer, 0) + 1
        state = {
            **event,
            "recorded_at": "2025-07-01T00:00:00.000000Z",
            "actor": None,
            "correlation_id": None,
            "prev_hash": "0" * 64,
            "hash": hashlib.sha256(customer.encode()).hexdigest(),
        }
        topic = f"ledger.events:{event['type']}"
        # A copy: orjson's own result keeps a buffer of about 4 KiB, which would make 1M rows take 4 GiB.
        encoded = bytes(memoryview(orjson.dumps(state)))
        rows.append((position, stream.bytes if as_bytes else stream, versions[customer], topic, encoded))
    return rows


def bulk_insert(context: RunContext) -> Measurement:
    """Insert every event in one transaction with executemany."""
    return _insert(context, context.count(sqlite=context.events, postgres=context.size.postgres_bulk), _executemany)


def copy_insert(context: RunContext) -> Measurement:
    """Copy as many events as ``import (PostgreSQL)`` imports into the table in one transaction (COPY ... FROM STDIN, binary)."""
    return _insert(context, context.count(sqlite=context.events, postgres=min(context.size.postgres_bulk, context.events)), _copy)


def batched_commit(context: RunContext) -> Measurement:
    """Insert every event with executemany, 1,000 per committed transaction, as an import commits (SQLite)."""
    return _insert(context, context.events, _in_batches)


def batched_commit_growth(context: RunContext) -> Measurement:
    """Insert the growth file's events as ``batched_commit`` does: the database's own cost growth between the two sizes."""
    assert context.growth_file is not None
    return _insert(context, context.growth_events, _in_batches, path=context.growth_file)


def per_row_commit(context: RunContext) -> Measurement:
    """Insert events one per committed transaction."""
    size = context.size
    return _insert(context, context.count(sqlite=size.single_appends, postgres=size.postgres_single_appends), _one_by_one)


def scan_and_decode(context: RunContext) -> Measurement:
    """Read the populated ledger's events in log order and decode each state with orjson."""
    return _scan(context, orjson.loads)


def scan_and_hash(context: RunContext) -> Measurement:
    """Read the populated ledger's events in log order and hash each stored state with sha256."""
    return _scan(context, lambda state: hashlib.sha256(state).hexdigest())


def _executemany(connection: Any, insert: str, rows: list[Row]) -> None:
    with _transaction(connection):
        connection.cursor().executemany(insert, rows)


def _copy(connection: Any, _insert: str, rows: list[Row]) -> None:
    with _transaction(connection), connection.cursor().copy(COPY) as copy:
        copy.set_types(["int8", "uuid", "int8", "text", "bytea"])
        for row in rows:
            copy.write_row(row)


def _in_batches(connection: Any, insert: str, rows: list[Row]) -> None:
    for start in range(0, len(rows), BATCH):
        with _transaction(connection):
            connection.cursor().executemany(insert, rows[start : start + BATCH])


def _one_by_one(connection: Any, insert: str, rows: list[Row]) -> None:
    for row in rows:
        with _transaction(connection):
            connection.execute(insert, row)


def _insert(
    context: RunContext, limit: int, write: Callable[[Any, str, list[Row]], None], *, path: str | None = None
) -> Measurement:
    is_postgres = context.backend == "postgres"
    rows = event_rows(iter_events(path or context.events_file, limit), as_bytes=not is_postgres)
    with context.fresh_database() as url, _connect(url) as connection:
        started = time.perf_counter()
        write(connection, INSERT[context.backend], rows)
        seconds = time.perf_counter() - started
        stored = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    check(stored == len(rows), f"stored {stored} rows of {len(rows)}")
    return rate(len(rows), seconds)


@contextmanager
def _transaction(connection: Any) -> Iterator[None]:
    """BEGIN ... COMMIT on a sqlite3 connection in autocommit mode, or psycopg's own transaction block."""
    if not isinstance(connection, sqlite3.Connection):
        with connection.transaction():
            yield
        return
    connection.execute("BEGIN")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


@contextmanager
def _connect(url: str) -> Iterator[Any]:
    """Open an autocommit connection on a fresh database and create the events table."""
    connection: Any
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        connection.execute(SQLITE_TABLE)
    else:
        import psycopg  # only PostgreSQL runs need the driver

        connection = psycopg.connect(libpq_url(url), autocommit=True)
        connection.execute(POSTGRES_TABLE)
    connection.execute(INDEX)
    try:
        yield connection
    finally:
        connection.close()


def _scan(context: RunContext, per_state: Callable[[bytes], Any]) -> Measurement:
    assert context.populated_url is not None
    connection = sqlite3.connect(context.populated_url.removeprefix("sqlite:///"))
    try:
        started = time.perf_counter()
        count = 0
        for state in _states(connection):
            per_state(state)
            count += 1
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    check(count == context.events, f"read {count} events of {context.events}")
    return rate(count, seconds)


def _states(connection: sqlite3.Connection) -> Iterator[bytes]:
    cursor = connection.execute(SCAN)
    while rows := cursor.fetchmany(SCAN_PAGE):
        for row in rows:
            yield row[4]
