"""Satisfaction trends: NPS, CSAT, CES, ACSI-style means and complaint times per period (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def nps(scores: list[int]) -> float | None:
    """Return 100 x (promoters 9-10 minus detractors 0-6) / answers; passives (7-8) only count in the total."""
    if not scores:
        return None
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def csat(scores: list[int]) -> float | None:
    """Return 100 x answers of 4 or 5 / answers."""
    return 100 * sum(s >= 4 for s in scores) / len(scores) if scores else None


def mean(values: list[int]) -> float | None:
    """Return the mean, or None without values."""
    return sum(values) / len(values) if values else None


def median_or_none(values: list[float]) -> float | None:
    """Return the median (mean of the middle two for an even count), or None."""
    return float(median(values)) if values else None


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / HOUR


@dataclass(slots=True)
class Bucket:
    """The answers and complaints behind one row of the trends."""

    scores: dict[str, list[int]] = field(default_factory=lambda: {"nps": [], "csat": [], "ces": []})
    expectation: list[int] = field(default_factory=list)
    quality: list[int] = field(default_factory=list)
    value: list[int] = field(default_factory=list)
    quality_gap: list[int] = field(default_factory=list)
    filed: int = 0
    resolved: int = 0
    response_hours: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """Return the figures of the bucket."""
        s = self.scores
        return {
            "nps": nps(s["nps"]),
            "nps_answers": len(s["nps"]),
            "csat": csat(s["csat"]),
            "csat_answers": len(s["csat"]),
            "ces": mean(s["ces"]),
            "ces_answers": len(s["ces"]),
            "expectation": mean(self.expectation),
            "perceived_quality": mean(self.quality),
            "perceived_value": mean(self.value),
            "quality_minus_expectation": mean(self.quality_gap),
            "complaints_filed": self.filed,
            "complaints_resolved": self.resolved,
            "median_first_response_hours": median_or_none(self.response_hours),
            "median_resolution_hours": median_or_none(self.resolution_hours),
        }


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


def trends(items: Iterable[tuple[str, dict[str, Any]]], f: TrendFilter) -> list[dict[str, Any]]:
    """Aggregate ("answer" | "complaint", dict with datetimes) items into one row per period (and split)."""
    buckets: dict[tuple[str, str], Bucket] = {}

    def bucket(item: dict[str, Any], day: date) -> Bucket:
        split = "" if f.split is None else str(item.get(f.split) or "-")
        return buckets.setdefault((period_key(day, f.by), split), Bucket())

    for kind, item in items:
        if kind == "answer":
            _add_answer(item, f, bucket)
        else:
            _add_complaint(item, f, bucket)
    rows = []
    for (period, split), b in sorted(buckets.items()):
        row: dict[str, Any] = {"period": period}
        if f.split is not None:
            row[f.split] = split
        rows.append(row | b.row())
    return rows


def _add_answer(a: dict[str, Any], f: TrendFilter, bucket: Callable[[dict[str, Any], date], Bucket]) -> None:
    day = a["occurred_at"].date()
    if not f.keep(a, day):
        return
    b = bucket(a, day)
    b.scores[a["kind"]].append(a["score"])
    e, q, v = a["expectation"], a["perceived_quality"], a["perceived_value"]
    b.expectation.extend([e] if e is not None else [])
    b.quality.extend([q] if q is not None else [])
    b.value.extend([v] if v is not None else [])
    if e is not None and q is not None:
        b.quality_gap.append(q - e)


def _add_complaint(c: dict[str, Any], f: TrendFilter, bucket: Callable[[dict[str, Any], date], Bucket]) -> None:
    """Count a complaint as filed on its filing day and, once resolved, on its resolution day with its times."""
    filed = c["filed_at"].date()
    if f.keep(c, filed):
        bucket(c, filed).filed += 1
    resolved = c["resolved_at"]
    if resolved is not None and f.keep(c, resolved.date()):
        b = bucket(c, resolved.date())
        b.resolved += 1
        b.resolution_hours.append(_hours(c["filed_at"], resolved))
        b.response_hours.append(_hours(c["filed_at"], c["first_response_at"] or resolved))
