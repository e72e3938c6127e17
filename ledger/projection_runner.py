"""Running projections: incremental batches in log order, full rebuilds into new tables, following.

A batch recomputes the whole rows of every customer it touches from that
customer's stream (up to the batch's last position): streams are short, voids
and corrections then need no inverse, and rows and position commit together.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter
from tqdm import tqdm

from ledger.errors import DatabaseUnavailableError
from ledger.storage.log_reader import IN_CHUNK, log_page, read_streams
from ledger.storage.projection_state import ProjectionState
from ledger.storage.store import EventStore
from projections.facts import Fact, effective
from projections.registry import Projection, tables_for

BATCH = 10_000
# A follower's waits between attempts while the database is away: from half a second, doubling to half a minute.
RETRY_FIRST_WAIT = 0.5
RETRY_LONGEST_WAIT = 30.0
logger = logging.getLogger("ledger.projections")


@dataclass(slots=True)
class GenerationCursor:
    """One generation of a projection being brought up to date, and how far it has read the log."""

    projection: Projection
    generation: int
    position: int


@contextmanager
def read_model_transaction(store: EventStore) -> Iterator[Connection]:
    """Open a transaction that writes read models, taking SQLite's write lock up front (no upgrade failures)."""
    connection = store.engine.connect()
    if not store.is_postgres:
        connection = connection.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with connection.begin():
            yield connection
    finally:
        connection.close()


def write_rows(connection: Connection, target: GenerationCursor, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert rows into a generation's tables, in bulk (plain DB-API executemany: Core's per-row processing is slower)."""
    tables = tables_for(target.projection.name, target.generation)
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    for key, batch in rows.items():
        if batch:
            columns = [column.name for column in tables[key].columns]
            sql = f"INSERT INTO {tables[key].name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
            # itemgetter builds the tuples in C (a generator per row showed in rebuilds); every table has several
            # columns, so it does give tuples.
            connection.exec_driver_sql(sql, list(map(itemgetter(*columns), batch)))


def rows_of(projection: Projection, customers: list[tuple[str, list[Fact]]]) -> dict[str, list[dict[str, Any]]]:
    """Return a projection's rows for these customers' effective facts, gathered per table."""
    gathered: dict[str, list[dict[str, Any]]] = {}
    for customer, facts in customers:
        for key, found in projection.rows(customer, facts).items():
            gathered.setdefault(key, []).extend(found)
    return gathered


def apply_batch(
    store: EventStore, connection: Connection, state: ProjectionState, targets: list[GenerationCursor], limit: int
) -> int:
    """Bring targets forward by up to limit events of the log, in the caller's transaction; return events read."""
    low = min(t.position for t in targets)
    page = log_page(store, connection, low, limit)
    if not page:
        return 0
    end = page[-1][0]
    touched = {id(t): list(dict.fromkeys(sid for pos, sid in page if pos > t.position)) for t in targets}
    streams = read_streams(store, connection, list(dict.fromkeys(sid for pos, sid in page)), end)
    views = {sid: (customer, effective(facts)) for sid, (customer, facts) in streams.items()}
    for target in targets:
        if target.position >= end:
            continue
        customers = [views[sid] for sid in touched[id(target)]]
        tables = tables_for(target.projection.name, target.generation)
        names = [customer for customer, _ in customers]
        for table in tables.values():
            for start in range(0, len(names), IN_CHUNK):
                connection.execute(delete(table).where(table.c.customer.in_(names[start : start + IN_CHUNK])))
        write_rows(connection, target, rows_of(target.projection, customers))
        state.set_position(connection, target.projection.name, target.generation, end)
        target.position = end
    return len(page)


def catch_up(
    store: EventStore, state: ProjectionState, projections: list[Projection], *, limit: int = BATCH, bar: tqdm | None = None
) -> int:
    """Bring the active generations of projections to the head of the log, one transaction per batch."""
    total = 0
    while True:
        with read_model_transaction(store) as connection:
            meta = state.read(connection, lock=True)
            targets = []
            for projection in projections:
                generation = meta[projection.name].generation
                if generation is not None:
                    position = state.position(connection, projection.name, generation)
                    targets.append(GenerationCursor(projection, generation, position))
            done = apply_batch(store, connection, state, targets, limit) if targets else 0
        total += done
        if bar is not None:
            bar.update(done)
        if done < limit:
            return total


def follow(
    store: EventStore, state: ProjectionState, projections: list[Projection], stop: threading.Event, *, interval: float = 0.2
) -> int:
    """Keep projections current until stop is set, polling the log by position; return events applied.

    When the database goes away (a restart, a dropped connection) it waits for it (``while_available``).
    A batch commits its rows and position together, so it resumes at the tracked position: a batch the
    outage interrupted is applied again from the start, and none twice.
    """
    applied = 0
    while not stop.is_set():
        done = while_available(stop, lambda: catch_up(store, state, projections))
        applied += done
        if not done:
            stop.wait(interval)
    return applied


def while_available(stop: threading.Event, work: Callable[[], int]) -> int:
    """Return work's count, retrying it with growing waits, one log line each, while the database is away.

    Until it answers again or stop is set: then 0 (what was done before stays done).
    """

    def wait(seconds: float) -> None:
        stop.wait(seconds)  # set during a wait, stop ends it at once

    retrying = Retrying(
        retry=retry_if_exception_type(DatabaseUnavailableError),
        # Jitter: followers of one database that lost it together should not all come back at once.
        wait=wait_exponential_jitter(multiplier=RETRY_FIRST_WAIT, max=RETRY_LONGEST_WAIT, jitter=RETRY_FIRST_WAIT),
        stop=lambda _attempt: stop.is_set(),
        sleep=wait,
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        return retrying(work)
    except DatabaseUnavailableError:
        if stop.is_set():
            return 0
        raise


def _log_retry(attempt: RetryCallState) -> None:
    error = attempt.outcome.exception() if attempt.outcome is not None else None
    wait = attempt.next_action.sleep if attempt.next_action is not None else 0.0
    logger.warning("projections follow: %s; retry %d in %.1f s, from the tracked position", error, attempt.attempt_number, wait)


def progress_bar(total: int, description: str, enabled: bool) -> tqdm:
    """Return a progress bar on stderr with rate and ETA (hidden when stderr is not a terminal)."""
    return tqdm(
        total=total, unit=" events", unit_scale=True, desc=description, file=sys.stderr, disable=None if enabled else True
    )
