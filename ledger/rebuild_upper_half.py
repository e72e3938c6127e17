"""A rebuild's second process: it fills the rows of the upper half of the stream ids meanwhile.

A rebuild is CPU-bound (decoding events, building rows) and each customer's rows
come from its own stream alone, so two processes can fill one generation's tables
at once, each from its own half of the streams; SQLite's write lock is held only
for each flush. Stream ids are uuid5 hashes, spread evenly over the id space.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from uuid import UUID

from ledger.projection_runner import GenerationCursor
from ledger.second_process import SecondProcess, as_result, second_process
from ledger.storage.store import EventStore
from projections.registry import PROJECTIONS

# The first stream id of the upper half.
MIDDLE_STREAM = UUID(int=1 << 127)
# Events between two progress reports of the second process.
REPORT_EVERY = 10_000
SECOND_PROCESS = "rebuild's second process"

Fill = Callable[[EventStore, list[GenerationCursor], int, Callable[[int], None], object, object], int]


@dataclass(frozen=True, slots=True)
class _Done:
    scanned: int


@dataclass(slots=True)
class UpperHalf:
    """The running second process and what it reports: events scanned so far, then ``_Done`` or an error."""

    second: SecondProcess
    last: _Done | Exception | None = None

    def wait(self, progress: Callable[[int], None]) -> int:
        """Return how many events the second process scanned, passing on its progress until it is done."""
        while self.last is None:
            self._take(self.second.next_result(), progress)
        if isinstance(self.last, Exception):
            raise self.last
        return self.last.scanned

    def progress_so_far(self) -> int:
        """Return the events the second process reported since the last call, without waiting."""
        reported = [0]
        while self.last is None:
            try:
                report = self.second.next_result(block=False)
            except queue.Empty:
                break
            self._take(report, lambda events: reported.append(events))
        return sum(reported)

    def _take(self, report: int | _Done | Exception, progress: Callable[[int], None]) -> None:
        if isinstance(report, int):
            progress(report)
        else:
            self.last = report


@contextmanager
def upper_half(store: EventStore, targets: list[GenerationCursor], head: int, fill: Fill) -> Iterator[UpperHalf]:
    """Fill the targets' rows of the streams from ``MIDDLE_STREAM`` on in another process; stop it on the way out."""
    url = store.engine.url.render_as_string(hide_password=False)
    generations = [(t.projection.name, t.generation) for t in targets]
    with second_process(SECOND_PROCESS, _fill_upper_half, url, generations, head, fill) as second:
        yield UpperHalf(second)


def _fill_upper_half(
    url: str, generations: list[tuple[str, int]], head: int, fill: Fill, reports: Queue[int | _Done | Exception]
) -> None:
    """Fill the upper half's rows (in the second process), reporting progress, then ``_Done``."""
    try:
        store = EventStore(url)
        try:
            targets = [GenerationCursor(PROJECTIONS[name], generation, 0) for name, generation in generations]
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
    except Exception as error:
        reports.put(as_result(SECOND_PROCESS, error))
