"""Several processes opening a new, empty database at the same moment all get a working ledger."""

from __future__ import annotations

from multiprocessing.context import ForkServerContext

from ledger.application import Ledger
from ledger.config import LedgerConfig

PROCESSES = 4


def _open_and_append(url: str, barrier, number: int) -> None:
    barrier.wait(timeout=60)
    with Ledger(url, config=LedgerConfig()) as ledger:
        ledger.append("contact", f"P-{number}", {"channel": "web"}, event_id=f"first-open-{number}")


def test_processes_creating_the_tables_at_once_all_succeed(db_url, worker_processes: ForkServerContext):
    barrier = worker_processes.Barrier(PROCESSES)
    workers = [worker_processes.Process(target=_open_and_append, args=(db_url, barrier, n)) for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        assert sorted(e.event_id for e in ledger.log()) == [f"first-open-{n}" for n in range(PROCESSES)]
