"""Business-hours arithmetic: the working time between two moments on a weekly calendar with holidays (pure).

A calendar reads like ``Mon-Fri 09:00-18:00`` (several spans joined by ``;``, e.g.
``Mon-Fri 09:00-18:00; Sat 10:00-14:00``), in a time zone, so opening hours follow
its daylight-saving changes; holidays are whole local days off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Calendar:
    """Opening spans per weekday (Monday = 0), in local time, and the holidays."""

    spans: tuple[tuple[tuple[time, time], ...], ...]
    holidays: frozenset[date]
    zone: tzinfo

    @property
    def hours_per_day(self) -> float:
        """Return the mean opening hours of an open day: how many business hours a business day counts."""
        open_days = [day for day in self.spans if day]
        week = sum(_span_hours(start, end) for day in open_days for start, end in day)
        return week / len(open_days)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Return the business time from start to end (zero when end is not after start)."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            if day not in self.holidays:
                for opens, closes in self.spans[day.weekday()]:
                    a = max(start, datetime.combine(day, opens, self.zone))
                    b = min(end, _closing(day, closes, self.zone))
                    if b > a:
                        total += b - a
            day += timedelta(days=1)
        return total


def _closing(day: date, closes: time, zone: tzinfo) -> datetime:
    """Return when a span closes: 24:00 is written 00:00 and means the next midnight."""
    if closes == time(0):
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    return datetime.combine(day, closes, zone)


def _span_hours(opens: time, closes: time) -> float:
    end = 24 * 60 if closes == time(0) else closes.hour * 60 + closes.minute
    return (end - (opens.hour * 60 + opens.minute)) / 60


@lru_cache(maxsize=32)
def parse_calendar(text: str) -> tuple[tuple[tuple[time, time], ...], ...]:
    """Return the opening spans per weekday of a calendar text, or raise ValueError naming the part that is wrong."""
    spans: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    for part in (p.strip() for p in text.split(";")):
        days_text, _, hours_text = part.partition(" ")
        opens, closes = _hours(hours_text.strip(), part)
        for day in _days(days_text, part):
            spans[day].append((opens, closes))
    if not any(spans):
        raise ValueError(f"no opening hours in {text!r}")
    return tuple(tuple(sorted(day)) for day in spans)


def _days(text: str, part: str) -> Iterable[int]:
    first, _, last = text.lower().partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ValueError(f"{part!r}: expected days like Mon-Fri or Sat")
    a, b = DAYS.index(first), DAYS.index(last or first)
    if b < a:
        raise ValueError(f"{part!r}: the day range runs backwards")
    return range(a, b + 1)


def _hours(text: str, part: str) -> tuple[time, time]:
    opens_text, _, closes_text = text.partition("-")
    try:
        opens = time.fromisoformat(opens_text)
        closes = time(0) if closes_text == "24:00" else time.fromisoformat(closes_text)
    except ValueError:
        raise ValueError(f"{part!r}: expected hours like 09:00-18:00") from None
    if closes != time(0) and closes <= opens:
        raise ValueError(f"{part!r}: closing time is not after opening time")
    return opens, closes
