"""A rebuild's second process: it fills the rows of the upper half of the stream ids meanwhile.

A rebuild is CPU-bound (decoding events, building rows) and each customer's rows
come from its own stream alone, so two processes can fill one generation's tables
at once, each from its own half of the streams; SQLite's write lock is held only
for each flush. Stream ids are uuid5 hashes, spread evenly over the id space.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from uuid import UUID

from ledger.errors import LedgerError
from ledger.store import EventStore
from projections.registry import PROJECTIONS
from projections.runner import Target

# The first stream id of the upper half.
MIDDLE_STREAM = UUID(int=1 << 127)
# Events between two progress reports of the second process.
REPORT_EVERY = 10_000

Fill = Callable[[EventStore, list[Target], int, Callable[[int], None], object, object], int]


@dataclass(frozen=True, slots=True)
class _Done:
    scanned: int


@dataclass(slots=True)
class UpperHalf:
    """The running second process and what it reports: events scanned so far, then ``_Done`` or an error."""

    process: BaseProcess
    reports: Queue[int | _Done | Exception]
    last: _Done | Exception | None = None

    def wait(self, progress: Callable[[int], None]) -> int:
        """Return how many events the second process scanned, passing on its progress until it is done."""
        while self.last is None:
            try:
                report = self.reports.get(timeout=1)
            except queue.Empty:
                if not self.process.is_alive():  # nothing more can come
                    raise RuntimeError(f"rebuild's second process ended early (exit code {self.process.exitcode})") from None
                continue
            if isinstance(report, int):
                progress(report)
            else:
                self.last = report
        if isinstance(self.last, Exception):
            raise self.last
        return self.last.scanned

    def progress_so_far(self) -> int:
        """Return the events the second process reported since the last call, without waiting."""
        total = 0
        while self.last is None:
            try:
                report = self.reports.get_nowait()
            except queue.Empty:
                break
            if isinstance(report, int):
                total += report
            else:
                self.last = report
        return total


@contextmanager
def upper_half(store: EventStore, targets: list[Target], head: int, fill: Fill) -> Iterator[UpperHalf]:
    """Fill the targets' rows of the streams from ``MIDDLE_STREAM`` on in another process; stop it on the way out."""
    fork = "fork" in multiprocessing.get_all_start_methods()  # fork starts in milliseconds
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    url = store.engine.url.render_as_string(hide_password=False)
    reports: Queue[int | _Done | Exception] = context.Queue()
    generations = [(t.projection.name, t.generation) for t in targets]
    process = context.Process(target=_fill_upper_half, args=(url, generations, head, fill, reports), daemon=True)
    process.start()
    try:
        yield UpperHalf(process, reports)
    finally:  # a failure here need not wait for the second process
        if process.is_alive():
            process.terminate()
        process.join()
        reports.close()


def _fill_upper_half(
    url: str, generations: list[tuple[str, int]], head: int, fill: Fill, reports: Queue[int | _Done | Exception]
) -> None:
    """Fill the upper half's rows (in the second process), reporting progress, then ``_Done``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the first process's to handle: it stops this one
    try:
        store = EventStore(url)
        try:
            targets = [Target(PROJECTIONS[name], generation, 0) for name, generation in generations]
            unreported = 0

            def report(events: int) -> None:
                nonlocal unreported
                unreported += events
                if unreported >= REPORT_EVERY:
                    reports.put(unreported)
                    unreported = 0

            scanned = fill(store, targets, head, report, store.driver_uuid(MIDDLE_STREAM), None)
            reports.put(unreported)
            reports.put(_Done(scanned))
        finally:
            store.close()
    except Exception as error:  # driver errors may not pickle
        reports.put(error if isinstance(error, LedgerError) else RuntimeError(f"rebuild's second process failed: {error!r}"))
