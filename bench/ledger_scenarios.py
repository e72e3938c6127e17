"""The ledger's own scenarios, through its Python API, on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import random
import time
from itertools import islice
from queue import Empty
from typing import IO, Any
from unittest import mock

import orjson
from sqlalchemy import func, select

from bench.context import RunContext, read_events
from bench.measure import Measurement, check, p99_latency, rate
from bench.sizes import SEED
from commands import records as recorded
from ledger.application import Ledger
from ledger.audit import verify as verify_module
from ledger.config import LedgerConfig

WORKERS = 4
WORKER_TIMEOUT_S = 600
BARRIER_TIMEOUT_S = 120
LOG_PAGE = 1000


def import_file(context: RunContext) -> Measurement:
    """Import the JSON Lines file into an empty ledger (PostgreSQL: its first lines only)."""
    count = context.count(sqlite=context.events, postgres=min(context.size.postgres_bulk, context.events))
    return _import(context, context.events_file, count, whole=count == context.events)


def import_file_without_chain(context: RunContext) -> Measurement:
    """Import the growth file as ``import_growth_file`` does, each event's hash replaced by a constant: the chain's cost.

    The growth file (about 100,000 events at both sizes) rather than the full file: the
    ratio is the same, and three imports of a million events took a sixth of the full run.
    """
    with _without_hash_chain():
        return import_growth_file(context)


def append_without_chain(context: RunContext) -> Measurement:
    """Append as ``append_one_by_one`` does, with each event's hash replaced by a constant."""
    with _without_hash_chain():
        return append_one_by_one(context)


def _without_hash_chain() -> contextlib.AbstractContextManager[Any]:
    """Make the write path store a constant instead of hashing each event (event_hash is all the chain adds)."""
    return mock.patch.object(recorded, "event_hash", lambda *_: "0" * 64)


def import_growth_file(context: RunContext) -> Measurement:
    """Import the file of the other size, to compare rates across a factor of 10."""
    assert context.growth_file is not None
    return _import(context, context.growth_file, context.growth_events, whole=True)


def append_one_by_one(context: RunContext) -> Measurement:
    """Append events one ``Ledger.append`` call, and so one durable transaction, each."""
    size = context.size
    events = read_events(context.events_file, context.count(sqlite=size.single_appends, postgres=size.postgres_single_appends))
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger:
        started = time.perf_counter()
        for event in events:
            _append(ledger, event)
        seconds = time.perf_counter() - started
        stored = ledger.store.max_position()
    check(stored == len(events), f"stored {stored} events of {len(events)}")
    return rate(len(events), seconds)


def append_concurrently(context: RunContext) -> Measurement:
    """Append from 4 processes at once, each its own customers, one transaction per event; then count what is stored."""
    size = context.size
    count = context.count(sqlite=size.concurrent_appends, postgres=size.postgres_concurrent_appends)
    events = read_events(context.events_file, count)
    shares: list[list[dict[str, Any]]] = [[] for _ in range(WORKERS)]
    worker_of: dict[str, int] = {}
    for event in events:  # each customer's events stay in order, in one worker
        shares[worker_of.setdefault(event["customer"], len(worker_of) % WORKERS)].append(event)
    with context.fresh_database() as url:
        Ledger(url, config=LedgerConfig()).close()  # create the tables before the race
        spans = _run_workers(url, shares)
        seconds = max(end for _, end in spans) - min(start for start, _ in spans)
        with Ledger(url, config=LedgerConfig()) as ledger:
            _check_exactly_once(ledger, [event["event_id"] for event in events])
    return rate(len(events), seconds)


def verify(context: RunContext) -> Measurement:
    """Verify the populated ledger: every hash chain, position and checkpoint, from the raw rows."""
    assert context.populated_url is not None
    with Ledger(context.populated_url, config=LedgerConfig()) as ledger:
        started = time.perf_counter()
        report = ledger.verify()
        seconds = time.perf_counter() - started
    check(report.events == context.events, f"verified {report.events} events of {context.events}")
    return rate(report.events, seconds)


def verify_in_one_process(context: RunContext) -> Measurement:
    """Verify as ``verify`` does, with the whole log checked in this process."""
    with mock.patch.object(verify_module, "TWO_PROCESSES_FROM", 10**18):
        return verify(context)


def timeline_latency(context: RunContext) -> Measurement:
    """Read the whole timeline of random customers of the populated ledger, one query each."""
    assert context.populated_url is not None
    with open(context.events_file, "rb") as file:
        customers = sorted({orjson.loads(line)["customer"] for line in file})
    sample = random.Random(SEED).choices(customers, k=context.size.query_samples)
    with Ledger(context.populated_url, config=LedgerConfig()) as ledger:
        ledger.timeline(sample[0])  # open the connection pool outside the measurement
        latencies = []
        for customer in sample:
            started = time.perf_counter()
            ledger.timeline(customer)
            latencies.append(time.perf_counter() - started)
    return p99_latency(latencies)


def _import(context: RunContext, path: str, count: int, *, whole: bool) -> Measurement:
    """Import the first count lines of a file: streamed from disk if that is the whole file, else from memory."""
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger, _open(path, count, whole) as source:
        started = time.perf_counter()
        summary = ledger.import_file(source)
        seconds = time.perf_counter() - started
    check(summary.rejected == 0, f"{summary.rejected} lines rejected, the first: {summary.problems[:1]}")
    check(summary.stored == count, f"stored {summary.stored} events of {count}")
    return rate(summary.stored, seconds)


def _open(path: str, count: int, whole: bool) -> IO[bytes]:
    if whole:
        return open(path, "rb")  # closed by the caller's with
    with open(path, "rb") as file:
        return io.BytesIO(b"".join(islice(file, count)))


def _append(ledger: Ledger, event: dict[str, Any]) -> None:
    receipt = ledger.append(
        event["type"],
        event["customer"],
        event["data"],
        occurred_at=event["occurred_at"],
        event_id=event["event_id"],
        source=event["source"],
    )
    check(not receipt.duplicate, f"{event['event_id']} was already stored")


def _append_share(url: str, events: list[dict[str, Any]], barrier: Any, spans: Any) -> None:
    """Append one worker's events once every worker is ready, and report when it started and ended."""
    with Ledger(url, config=LedgerConfig()) as ledger:
        barrier.wait()
        started = time.monotonic()  # CLOCK_MONOTONIC: comparable between processes
        for event in events:
            _append(ledger, event)
        spans.put((started, time.monotonic()))


def _run_workers(url: str, shares: list[list[dict[str, Any]]]) -> list[tuple[float, float]]:
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(len(shares), timeout=BARRIER_TIMEOUT_S)
    queue = spawn.Queue()
    workers = [spawn.Process(target=_append_share, args=(url, share, barrier, queue)) for share in shares]
    for worker in workers:
        worker.start()
    spans: list[tuple[float, float]] = []
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    # Read before joining (a worker exits only once its queue is flushed), and stop early if one fails.
    while len(spans) < len(workers) and time.monotonic() < deadline:
        if any(worker.exitcode not in (None, 0) for worker in workers):
            break
        with contextlib.suppress(Empty):
            spans.append(queue.get(timeout=0.5))
    for worker in workers:
        worker.join(timeout=10)
        if worker.exitcode is None:
            worker.kill()
    check(len(spans) == len(workers), f"workers failed or timed out (exit codes {[w.exitcode for w in workers]})")
    return spans


def _check_exactly_once(ledger: Ledger, sent: list[str]) -> None:
    """Fail unless the log holds every sent event id exactly once and nothing else."""
    with ledger.store.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(ledger.store.events_table)).scalar_one()
    stored: list[str] = []
    position = 0
    while page := ledger.log(after=position, limit=LOG_PAGE):
        stored.extend(event.event_id for event in page)
        position = page[-1].position
    check(rows == len(sent), f"{rows} rows stored for {len(sent)} events sent")
    check(len(set(stored)) == len(stored) == len(sent), f"{len(stored) - len(set(stored))} duplicate event ids")
    check(set(stored) == set(sent), f"{len(set(sent) - set(stored))} events lost")
