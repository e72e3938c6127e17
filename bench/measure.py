"""What a scenario run returns, and the helpers that make one."""

from __future__ import annotations

import os
import resource
import statistics
import threading
from dataclasses import dataclass
from typing import Literal

Unit = Literal["events/s", "ms"]
# Between two samples of a run's memory: about 0.1 ms of this process's time each.
SAMPLE_INTERVAL_S = 0.05


class CheckFailedError(Exception):
    """A scenario's result is wrong (events lost, duplicated or rejected): the run fails, whatever its speed."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One run of one scenario: a rate (higher is better) or a latency in ms (lower is better)."""

    value: float
    unit: Unit
    events: int
    seconds: float


def rate(events: int, seconds: float) -> Measurement:
    """Return events per second."""
    return Measurement(events / seconds, "events/s", events, seconds)


def p99_latency(samples: list[float]) -> Measurement:
    """Return the 99th percentile of latencies given in seconds, in ms."""
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[98]
    return Measurement(p99 * 1000, "ms", len(samples), sum(samples))


def check(condition: bool, problem: str) -> None:
    """Fail the run with problem unless condition holds."""
    if not condition:
        raise CheckFailedError(problem)


def largest_process_peak_mib() -> float:
    """Return the peak resident memory of this process or of its largest child process, in MiB."""
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return peak_kib / 1024


class TreeMemory:
    """Sample the resident memory of this process and its descendants together, every interval, in a thread.

    ``ru_maxrss`` is per process: a scenario that works in two processes (verify, rebuild)
    or four (concurrent appends) needs them added up.
    """

    def __init__(self, interval: float = SAMPLE_INTERVAL_S):
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        """Return the highest sum seen, in MiB."""
        return self.peak_bytes / 2**20

    def _sample(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(self.interval):
            self.peak_bytes = max(self.peak_bytes, sum(_resident_pages(pid) for pid in _tree(os.getpid())) * page)


def _tree(pid: int) -> list[int]:
    """Return a process and its descendants (Linux /proc; just the process elsewhere)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except OSError:  # gone meanwhile, or no /proc
            continue
    return found


def _resident_pages(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def median_latency(samples: list[float]) -> Measurement:
    """Return the median of latencies given in seconds, in ms."""
    return Measurement(statistics.median(samples) * 1000, "ms", len(samples), sum(samples))
