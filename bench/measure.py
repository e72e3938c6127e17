"""What a scenario run returns, and the helpers that make one."""

from __future__ import annotations

import resource
import statistics
from dataclasses import dataclass
from typing import Literal

Unit = Literal["events/s", "ms"]


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


def peak_memory_mib() -> float:
    """Return the peak resident memory of this process or of its largest child process, in MiB."""
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return peak_kib / 1024


def median_latency(samples: list[float]) -> Measurement:
    """Return the median of latencies given in seconds, in ms."""
    return Measurement(statistics.median(samples) * 1000, "ms", len(samples), sum(samples))
