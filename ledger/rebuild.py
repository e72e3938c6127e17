"""Full rebuilds: new tables filled from one streaming scan of the log, then an atomic switch.

Queries keep reading the active generation until the switch, which moves the
pointer rows of every rebuilt projection in one transaction. A rebuild that
dies leaves its half-filled tables unused; the next one drops them first.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable

from ledger.errors import RebuildInterruptedError
from ledger.projection_runner import BATCH, GenerationCursor, apply_batch, progress_bar, read_model_transaction, write_rows
from ledger.rebuild_upper_half import MIDDLE_STREAM, upper_half
from ledger.storage.log_reader import log_head, scan_streams
from ledger.storage.persistence import SQLITE_CACHE_KIB
from ledger.storage.projection_state import ProjectionState
from ledger.storage.store import SCAN_CACHE_KIB, EventStore
from projections.facts import effective
from projections.registry import Projection, tables_for

# Any key shared by the processes that rebuild (distinct from the schema lock's).
REBUILD_LOCK = 0x6C65646765720002
# Rows buffered before a bulk insert: one transaction per flush keeps SQLite's write lock short.
FLUSH_ROWS = 20_000
# From this many events a second process fills the upper half of the streams (``projections.upper_half``):
# it starts in milliseconds, and at this size both halves run under a second.
TWO_PROCESSES_FROM = 50_000
# Events between two updates of the progress bar from both processes.
PROGRESS_EVERY = 5_000


def rebuild(
    store: EventStore, state: ProjectionState, projections: list[Projection], *, progress: bool = True, unbuilt_only: bool = False
) -> int:
    """Rebuild projections into new tables and switch to them at once; return the events scanned.

    One rebuild at a time per database: a second one waits for the first. With
    unbuilt_only, what the first one built meanwhile is not built again.
    """
    with rebuild_lock(store):
        if unbuilt_only:
            with store.engine.connect() as connection:
                meta = state.read(connection)
            projections = [p for p in projections if meta[p.name].generation is None]
        return _rebuild(store, state, projections, progress) if projections else 0


@contextmanager
def rebuild_lock(store: EventStore) -> Iterator[None]:
    """Hold the database's rebuild lock; a process that dies releases it.

    Without it, a second rebuild would take the first one's half-filled tables for a
    killed rebuild's leftovers and drop them. PostgreSQL: a session advisory lock;
    SQLite: an exclusive flock on a file beside the database.
    """
    if store.is_postgres:
        with store.engine.connect() as connection:
            connection.execute(text(f"SELECT pg_advisory_lock({REBUILD_LOCK})"))
            connection.commit()  # the lock is the session's: no transaction left open meanwhile
            try:
                yield
            finally:
                connection.execute(text(f"SELECT pg_advisory_unlock({REBUILD_LOCK})"))
                connection.commit()
        return
    database = store.engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.rebuild-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _rebuild(store: EventStore, state: ProjectionState, projections: list[Projection], progress: bool) -> int:
    with read_model_transaction(store) as connection:
        head = log_head(store, connection)
        targets = [_start(connection, state, projection) for projection in projections]
    counted = _CountedBar()
    try:
        with progress_bar(head, "rebuild " + ",".join(p.name for p in projections), progress) as bar:
            counted.bar = bar
            scanned = _fill(store, targets, head, counted)
            for target in targets:
                target.position = head
            with read_model_transaction(store) as connection:
                _create_indexes(store, connection, targets)
                for target in targets:
                    state.set_position(connection, target.projection.name, target.generation, head)
            # Events appended during the scan: the incremental path, on the new tables.
            while True:
                with read_model_transaction(store) as connection:
                    if not apply_batch(store, connection, state, targets, BATCH):
                        break
        _switch(store, state, targets)
    except KeyboardInterrupt:
        _abandon(store, state, targets)
        raise RebuildInterruptedError([p.name for p in projections], counted.events, head) from None
    return scanned


class _CountedBar:
    """Forwards to the progress bar and counts the events scanned, for an interruption's report (shown or not)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.events = 0

    def update(self, events: int) -> None:
        self.events += events
        if self.bar is not None:
            self.bar.update(events)


def _start(connection: Connection, state: ProjectionState, projection: Projection) -> GenerationCursor:
    """Drop any stale generation, create the new generation's tables (without their indexes) and mark the rebuild."""
    meta = state.read(connection, lock=True)[projection.name]
    on_disk = state.generations_on_disk(connection, projection.name)
    for generation in on_disk - {meta.generation}:
        _drop(connection, state, projection.name, generation)
    generation = max([*on_disk, meta.generation or 0, meta.building or 0]) + 1
    for table in tables_for(projection.name, generation).values():
        # The secondary indexes come after the fill (_create_indexes): one sort each, not a B-tree insert per row.
        connection.execute(CreateTable(table))
    state.update(connection, projection.name, building=generation)
    return GenerationCursor(projection, generation, 0)


def _create_indexes(store: EventStore, connection: Connection, targets: list[GenerationCursor]) -> None:
    with _small_cache(store, connection):  # bounds the memory of each index's sort
        for target in targets:
            for table in tables_for(target.projection.name, target.generation).values():
                for index in table.indexes:
                    index.create(connection)


@contextmanager
def _small_cache(store: EventStore, connection: Connection) -> Iterator[None]:
    """On SQLite, give the connection a small page cache meanwhile: for work that passes once over many pages."""
    if store.is_postgres:
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SCAN_CACHE_KIB}")
    try:
        yield
    finally:  # a pooled connection: back to the ledger's cache for whoever uses it next
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def _fill(store: EventStore, targets: list[GenerationCursor], head: int, bar: Any) -> int:
    """Fill the new tables with the rows of every stream up to head; from TWO_PROCESSES_FROM events, in two processes."""
    if head < TWO_PROCESSES_FROM or not store.shareable():
        return _fill_streams(store, targets, head, bar.update, None, None)
    with upper_half(store, targets, head, _fill_streams) as upper:
        unreported = 0

        def progress(events: int) -> None:
            nonlocal unreported
            unreported += events
            if unreported >= PROGRESS_EVERY:
                bar.update(unreported + upper.progress_so_far())
                unreported = 0

        scanned = _fill_streams(store, targets, head, progress, None, store.driver_uuid(MIDDLE_STREAM))
        bar.update(unreported)
        return scanned + upper.wait(bar.update)


def _fill_streams(store: EventStore, targets: list[GenerationCursor], head: int, progress: Any, low: Any, high: Any) -> int:
    """Fill the rows of the streams with low <= id < high (None: no bound), flushing as they grow."""
    buffers: list[dict[str, list[dict[str, Any]]]] = [{} for _ in targets]
    buffered = scanned = 0
    with store.scan_connection() as reader:
        for customer, facts in scan_streams(store, reader, head, low=low, high=high):
            view = effective(facts)
            for target, buffer in zip(targets, buffers, strict=True):
                for key, found in target.projection.rows(customer, view).items():
                    buffer.setdefault(key, []).extend(found)
                    buffered += len(found)
            scanned += len(facts)
            progress(len(facts))
            if buffered >= FLUSH_ROWS:
                _flush(store, targets, buffers)
                buffered = 0
    _flush(store, targets, buffers)
    return scanned


def _flush(store: EventStore, targets: list[GenerationCursor], buffers: list[dict[str, list[dict[str, Any]]]]) -> None:
    with read_model_transaction(store) as connection:
        for target, buffer in zip(targets, buffers, strict=True):
            if store.is_postgres:
                _copy_rows(connection, target, buffer)
            else:
                write_rows(connection, target, buffer)
            buffer.clear()


def _copy_rows(connection: Connection, target: GenerationCursor, rows: dict[str, list[dict[str, Any]]]) -> None:
    """PostgreSQL: COPY the rows into the new generation's tables, one stream per table, not a statement per row."""
    tables = tables_for(target.projection.name, target.generation)
    cursor: Any = connection.connection.cursor()  # psycopg's, which has copy()
    with cursor:
        for key, batch in rows.items():
            if batch:
                columns = [column.name for column in tables[key].columns]
                values = itemgetter(*columns)  # every table has several columns: tuples
                with cursor.copy(f"COPY {tables[key].name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(values(row))


def _switch(store: EventStore, state: ProjectionState, targets: list[GenerationCursor]) -> None:
    """Point every rebuilt projection at its new tables in one transaction, then drop the old ones."""
    with read_model_transaction(store) as connection:
        meta = state.read(connection, lock=True)
        # The last events, under the pointer lock: nothing appended meanwhile is missed by the switch.
        while apply_batch(store, connection, state, targets, BATCH):
            pass
        old = {t.projection.name: meta[t.projection.name].generation for t in targets}
        for target in targets:
            name, version = target.projection.name, target.projection.version
            state.update(connection, name, generation=target.generation, version=version, building=None)
    # Dropping a table reads each of its pages once (SQLite frees them): with a small cache, which it would fill.
    with read_model_transaction(store) as connection, _small_cache(store, connection):
        for name, generation in old.items():
            if generation is not None:
                _drop(connection, state, name, generation)


def _abandon(store: EventStore, state: ProjectionState, targets: list[GenerationCursor]) -> None:
    """Drop an interrupted rebuild's tables (a killed one is cleaned by the next rebuild)."""
    with read_model_transaction(store) as connection:
        for target in targets:
            _drop(connection, state, target.projection.name, target.generation)
            state.update(connection, target.projection.name, building=None)


def _drop(connection: Connection, state: ProjectionState, name: str, generation: int) -> None:
    for table in tables_for(name, generation).values():
        table.drop(connection, checkfirst=True)
    state.forget(connection, name, generation)
