"""The read side's scenarios: rebuilds, follow mode and queries, on SQLite."""

from __future__ import annotations

import bisect
import gc
import io
import multiprocessing
import random
import threading
import time
from itertools import islice
from typing import Any

from bench.context import RunContext, iter_events
from bench.measure import Measurement, check, median_latency, p99_latency, rate
from bench.sizes import HEAVY_CUSTOMER, LAST_DAY, SEED
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.storage.projection_state import ProjectionState

FOLLOW_RATE = 1_000  # appends per second
FOLLOW_POLL_S = 0.005
TREND_SAMPLES = 10


def rebuild(context: RunContext) -> Measurement:
    """Rebuild every read model of the projected database (a million events at full size) into new tables."""
    assert context.projected_url is not None
    with Ledger(context.projected_url, config=LedgerConfig()) as ledger:
        head = ledger.store.max_position()
        started = time.perf_counter()
        scanned = ledger.rebuild(progress=False).events
        seconds = time.perf_counter() - started
    check(scanned == head, f"rebuilt from {scanned} events of {head}")
    return rate(scanned, seconds)


def rebuild_tenth(context: RunContext) -> Measurement:
    """Rebuild every read model of a ledger holding the first tenth of the events (imported first, untimed)."""
    count = context.events // 10
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger:
        _seed(ledger, context, count)
        started = time.perf_counter()
        scanned = ledger.rebuild(progress=False).events
        seconds = time.perf_counter() - started
    check(scanned == count, f"rebuilt from {scanned} events of {count}")
    return rate(scanned, seconds)


def profile_latency(context: RunContext) -> Measurement:
    """Ask for the profiles of random customers, one query each, in a started service; 99th percentile."""
    sample = random.Random(SEED).choices(_customers(context), k=context.size.query_samples)
    with _projected(context) as ledger:
        ledger.profile(sample[0])  # the first one reads the RFM thresholds the rebuild kept (per log position)
        _started_service()
        return p99_latency([_timed(ledger.profile, customer) for customer in sample])


def as_of_profile_latency(context: RunContext) -> Measurement:
    """Ask for the heavy customer's profile (1,000 events) as of the data's last day, in a started service.

    Its stream is replayed each time.
    """
    with _projected(context) as ledger:
        ledger.profile(HEAVY_CUSTOMER, as_of=LAST_DAY)
        _started_service()
        samples = [_timed(ledger.profile, HEAVY_CUSTOMER, as_of=LAST_DAY) for _ in range(context.size.query_samples // 4)]
    return p99_latency(samples)


def as_of_profile_latency_without_freeze(context: RunContext) -> Measurement:
    """As ``as_of_profile_latency``, with every object of the process left to the garbage collector."""
    with _projected(context) as ledger:
        ledger.profile(HEAVY_CUSTOMER, as_of=LAST_DAY)
        samples = [_timed(ledger.profile, HEAVY_CUSTOMER, as_of=LAST_DAY) for _ in range(context.size.query_samples // 4)]
    return p99_latency(samples)


def monthly_trends_latency(context: RunContext) -> Measurement:
    """Monthly satisfaction trends over the whole base, from the read models, in a started service."""
    with _projected(context) as ledger:
        found = ledger.trends(by="month")
        check(len(found) > 12, f"only {len(found)} months of trends")
        _started_service()
        return p99_latency([_timed(ledger.trends, by="month") for _ in range(TREND_SAMPLES)])


def _started_service() -> None:
    """Do what a long-running service does once started: move what start-up made out of the garbage collector's sight.

    A full collection traverses every object of the process: about 80,000 after importing
    SQLAlchemy, pydantic and the ledger, 30-90 ms on this machine kind, and it comes about once
    per 75-100 as-of profiles, which is exactly the 99th percentile. The row without this
    shows that cost.
    """
    gc.collect()
    gc.freeze()


def export_rfm_rate(context: RunContext) -> Measurement:
    """The CLV summary of every customer as of the data's last day; events of the log per second."""
    with _projected(context) as ledger:
        events = ledger.store.max_position()
        started = time.perf_counter()
        rows = sum(1 for _ in ledger.export_rfm(as_of=LAST_DAY))
        seconds = time.perf_counter() - started
    check(rows > 0, "no customer in the CLV summary")
    return rate(events, seconds)


def follow_latency(context: RunContext) -> Measurement:
    """Append at a steady 1,000 events/s while a follower process keeps the read models current; median latency.

    An event is visible once the profiles projection's position (committed with its
    rows) reaches it; the latency runs from the append's return to that moment.
    """
    size = context.size
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger:
        _seed(ledger, context, min(size.follow_base, context.events))
        ledger.rebuild(progress=False)
        spawn = multiprocessing.get_context("spawn")
        stop = spawn.Event()
        follower = spawn.Process(target=_follow, args=(url, stop))
        follower.start()
        seen: list[tuple[float, int]] = []
        done = threading.Event()
        poller = threading.Thread(target=_poll, args=(ledger, seen, done))
        poller.start()
        try:
            appended = _append_steadily(ledger, size.follow_appends)
            last = appended[-1][0]
            deadline = time.monotonic() + 60
            while (not seen or seen[-1][1] < last) and time.monotonic() < deadline:
                time.sleep(FOLLOW_POLL_S)
        finally:
            done.set()
            poller.join()
            stop.set()
            follower.join(timeout=30)
            if follower.exitcode is None:
                follower.kill()
    check(follower.exitcode == 0, f"the follower exited with {follower.exitcode}")
    check(bool(seen) and seen[-1][1] >= last, "the follower did not catch up within 60 s")
    times, positions = [t for t, _ in seen], [p for _, p in seen]
    return median_latency([times[bisect.bisect_left(positions, position)] - at for position, at in appended])


def _follow(url: str, stop: Any) -> None:
    with Ledger(url, config=LedgerConfig()) as ledger:
        ledger.follow(stop=stop)


def _poll(ledger: Ledger, seen: list[tuple[float, int]], done: threading.Event) -> None:
    """Record (time, position of the profiles projection) whenever the position moves."""
    state = ProjectionState(ledger.store)
    with ledger.store.engine.connect() as connection:
        generation = state.read(connection)["profiles"].generation or 0
    while not done.is_set():
        with ledger.store.engine.connect() as connection:
            position = state.position(connection, "profiles", generation)
        if not seen or position > seen[-1][1]:
            seen.append((time.monotonic(), position))
        time.sleep(FOLLOW_POLL_S)


def _append_steadily(ledger: Ledger, count: int) -> list[tuple[int, float]]:
    """Append count contacts of new customers on a 1,000/s schedule; return (position, time the append returned)."""
    appended = []
    start = time.monotonic()
    for n in range(count):
        wait = start + n / FOLLOW_RATE - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        receipt = ledger.append("contact", f"F-{n}", {"channel": "web"}, event_id=f"bench-follow-{n}")
        appended.append((receipt.position, time.monotonic()))
    return appended


def _seed(ledger: Ledger, context: RunContext, count: int) -> None:
    """Import the first count events of the file (untimed setup)."""
    with open(context.events_file, "rb") as file:
        source = io.BytesIO(b"".join(islice(file, count)))
    summary = ledger.import_file(source)
    check(summary.stored == count, f"seeded {summary.stored} events of {count}")


def _customers(context: RunContext) -> list[str]:
    return sorted({event["customer"] for event in iter_events(context.events_file)})


def _projected(context: RunContext) -> Ledger:
    assert context.projected_url is not None
    return Ledger(context.projected_url, config=LedgerConfig())


def _timed(query: Any, *args: Any, **kwargs: Any) -> float:
    started = time.perf_counter()
    query(*args, **kwargs)
    return time.perf_counter() - started
