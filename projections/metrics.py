"""Satisfaction trends: NPS, CSAT, CES, ACSI-style means and complaint times per period (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Any, Literal

Period = Literal["day", "week", "month"]
HOUR = 3600.0


def period_key(day: date, by: Period) -> str:
    """Return the period a day falls in: 2024-05-01, 2024-W18 (ISO week and year) or 2024-05."""
    if by == "day":
        return day.isoformat()
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def nps(counts: Mapping[int, int]) -> float | None:
    """Return 100 x (promoters 9-10 minus detractors 0-6) / answers, from answers per score.

    Passives (7-8) count in the total only.
    """
    answers = sum(counts.values())
    if not answers:
        return None
    promoters = sum(n for score, n in counts.items() if score >= 9)
    detractors = sum(n for score, n in counts.items() if score <= 6)
    return 100 * (promoters - detractors) / answers


def csat(counts: Mapping[int, int]) -> float | None:
    """Return 100 x answers of 4 or 5 / answers, from answers per score."""
    answers = sum(counts.values())
    return 100 * sum(n for score, n in counts.items() if score >= 4) / answers if answers else None


def ces(counts: Mapping[int, int]) -> float | None:
    """Return the mean score, from answers per score."""
    answers = sum(counts.values())
    return sum(score * n for score, n in counts.items()) / answers if answers else None


def median_or_none(values: list[int] | list[float]) -> float | None:
    """Return the median (mean of the middle two for an even count), or None."""
    return float(median(values)) if values else None


def micros_between(start: datetime, end: datetime) -> int:
    """Return the exact time from start to end in microseconds."""
    delta = end - start
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(slots=True)
class Mean:
    """A running mean of integers: their sum and count (exact, whatever the order they come in)."""

    total: int = 0
    count: int = 0

    def add(self, total: int | None, count: int = 1) -> None:
        """Add one value (or a sum of count values); None adds nothing."""
        if total is not None and count:
            self.total += total
            self.count += count

    @property
    def value(self) -> float | None:
        """Return the mean, or None without values."""
        return self.total / self.count if self.count else None


@dataclass(slots=True)
class Bucket:
    """The answers and complaints behind one row of the trends: answers per kind and score, sums, complaint times."""

    scores: dict[str, Counter[int]] = field(default_factory=lambda: {"nps": Counter(), "csat": Counter(), "ces": Counter()})
    expectation: Mean = field(default_factory=Mean)
    quality: Mean = field(default_factory=Mean)
    value: Mean = field(default_factory=Mean)
    quality_gap: Mean = field(default_factory=Mean)
    filed: int = 0
    resolved: int = 0
    sent: int = 0  # surveys sent in the period
    responded: int = 0  # of those, the ones answered
    # The times of the complaints resolved, or only the middle one or two of them: all their median needs.
    response_micros: list[int] = field(default_factory=list)
    resolution_micros: list[int] = field(default_factory=list)

    @property
    def median_first_response_hours(self) -> float | None:
        """Return the median time to first response of the complaints resolved, in hours."""
        return _hours(median_or_none(self.response_micros))

    @property
    def median_resolution_hours(self) -> float | None:
        """Return the median time to resolution of the complaints resolved, in hours."""
        return _hours(median_or_none(self.resolution_micros))

    def add_resolved(self, filed: datetime, first_response: datetime | None, resolved: datetime) -> None:
        """Count a complaint resolved in this period, with its times (no response before: the resolution answers it)."""
        self.add_resolved_micros(micros_between(filed, first_response or resolved), micros_between(filed, resolved))

    def add_resolved_micros(self, response: int, resolution: int) -> None:
        """Count a complaint resolved in this period, from its first-response and resolution times in microseconds."""
        self.resolved += 1
        self.response_micros.append(response)
        self.resolution_micros.append(resolution)


def _hours(micros: float | None) -> float | None:
    return None if micros is None else micros / 1_000_000 / HOUR


@dataclass(slots=True)
class TrendFilter:
    """Which items count: a day range (inclusive), one channel, one customer segment; split by channel or segment."""

    by: Period = "month"
    start: date | None = None
    end: date | None = None
    channel: str | None = None
    segment: str | None = None
    split: Literal["channel", "segment"] | None = None

    def keep(self, item: dict[str, Any], day: date) -> bool:
        """Tell whether an item (answer or complaint) on a day counts."""
        if (self.start and day < self.start) or (self.end and day > self.end):
            return False
        if self.channel is not None and item.get("channel") != self.channel:
            return False
        return self.segment is None or item.get("segment") == self.segment


class Buckets(dict[tuple[str, str], Bucket]):
    """One bucket per period and split value."""

    def __init__(self, f: TrendFilter):
        super().__init__()
        self.filter = f

    def at(self, day: date, split_value: Any) -> Bucket:
        """Return the bucket of a day and split value (ignored without a split)."""
        return self.of_period(period_key(day, self.filter.by), split_value)

    def of_period(self, period: str, split_value: Any) -> Bucket:
        """Return the bucket of a period key and split value."""
        key = (period, "" if self.filter.split is None else str(split_value or "-"))
        found = self.get(key)
        if found is None:
            found = self[key] = Bucket()
        return found


def buckets_of(items: Iterable[tuple[str, dict[str, Any]]], f: TrendFilter) -> Buckets:
    """Gather ("answer" | "complaint" | "sent", dict) items into one bucket per period (and split value)."""
    buckets = Buckets(f)
    for kind, item in items:
        if kind == "answer":
            _add_answer(item, buckets)
        elif kind == "sent":
            _add_sent(item, buckets)
        else:
            _add_complaint(item, buckets)
    return buckets


def _add_sent(s: dict[str, Any], buckets: Buckets) -> None:
    """Count a survey on the day it was first sent (fixed-width UTC text), with whether it was answered."""
    day = date.fromisoformat(s["sent_at"][:10])
    if buckets.filter.keep(s, day):
        b = buckets.at(day, s.get(buckets.filter.split or ""))
        b.sent += 1
        b.responded += s["answered"]


def _add_answer(a: dict[str, Any], buckets: Buckets) -> None:
    day = a["occurred_at"].date()
    if not buckets.filter.keep(a, day):
        return
    b = buckets.at(day, a.get(buckets.filter.split or ""))
    b.scores[a["kind"]][a["score"]] += 1
    e, q, v = a["expectation"], a["perceived_quality"], a["perceived_value"]
    b.expectation.add(e)
    b.quality.add(q)
    b.value.add(v)
    if e is not None and q is not None:
        b.quality_gap.add(q - e)


def _add_complaint(c: dict[str, Any], buckets: Buckets) -> None:
    """Count a complaint as filed on its filing day and as resolved on the day of each resolution, with its times."""
    f, split = buckets.filter, c.get(buckets.filter.split or "")
    filed = c["filed_at"].date()
    if f.keep(c, filed):
        buckets.at(filed, split).filed += 1
    for resolved, responded in c["resolutions"]:
        if f.keep(c, resolved.date()):
            buckets.at(resolved.date(), split).add_resolved(c["filed_at"], responded, resolved)
