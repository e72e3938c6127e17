"""Several processes appending at once: every event stored exactly once, streams and log gapless."""

from __future__ import annotations

import itertools
from collections import defaultdict
from multiprocessing.context import ForkServerContext

import pytest
from sqlalchemy import select

from ledger.application import Ledger
from ledger.config import LedgerConfig

PROCESSES = 4
EVENTS_PER_PROCESS = 2000
SHARED = 200  # event ids every process tries to append: each must be stored once


def _append_from_process(url: str, worker: int, barrier) -> None:
    with Ledger(url, config=LedgerConfig()) as ledger:
        barrier.wait()
        # Half one event per transaction, half in batches, to the same customer and to the worker's own.
        for n in range(EVENTS_PER_PROCESS // 2):
            customer = "SAME" if n % 2 else f"W{worker}-C{n % 10}"
            ledger.append("contact", customer, {"channel": "web"}, event_id=f"w{worker}-s{n}")
        batch = []
        for n in range(EVENTS_PER_PROCESS // 2):
            customer = "SAME" if n % 2 else f"C{n % 25}"  # customers shared between workers too
            batch.append({"type": "contact", "customer": customer, "event_id": f"w{worker}-b{n}", "data": {"channel": "sms"}})
            if len(batch) == 20:
                ledger.append_many(batch)
                batch = []
        ledger.append_many(
            {"type": "contact", "customer": f"C{n % 3}", "event_id": f"shared-{n}", "data": {"channel": "app"}}
            for n in range(SHARED)
        )


@pytest.mark.slow
def test_concurrent_appends_store_each_event_once(db_url, worker_processes: ForkServerContext):
    Ledger(db_url, config=LedgerConfig()).close()  # create the tables before the race
    barrier = worker_processes.Barrier(PROCESSES)
    workers = [worker_processes.Process(target=_append_from_process, args=(db_url, w, barrier)) for w in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * PROCESSES

    with Ledger(db_url, config=LedgerConfig()) as ledger:
        table = ledger.store.events_table
        with ledger.store.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.id, table.c.originator_id, table.c.originator_version).order_by(table.c.id)
            ).all()
        expected = PROCESSES * EVENTS_PER_PROCESS + SHARED
        assert len(rows) == expected
        assert [row.id for row in rows] == list(range(1, expected + 1))
        versions: dict = defaultdict(list)
        for row in rows:
            versions[row.originator_id].append(row.originator_version)
        for stream_versions in versions.values():
            assert stream_versions == list(range(1, len(stream_versions) + 1))
        event_ids = [e.event_id for e in ledger.log(limit=expected)]
        assert len(set(event_ids)) == expected
        same = ledger.timeline("SAME")
        assert len(same) == PROCESSES * EVENTS_PER_PROCESS // 2
        for previous, current in itertools.pairwise(same):
            assert current.prev_hash == previous.hash
