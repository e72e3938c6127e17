"""Parsing and normalising the ledger's timestamps: everything is stored in UTC."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from commands.errors import ConfigurationError

FUTURE_TOLERANCE = timedelta(minutes=5)


@functools.lru_cache(maxsize=64)  # read for every event parsed: once per name is enough
def load_timezone(name: str) -> tzinfo:
    """Resolve an IANA timezone name, or fail with a configuration error."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"unknown timezone: {name!r}") from None


def to_utc(value: datetime | date | str, local_tz: tzinfo = UTC) -> datetime:
    """Return value as an aware UTC datetime.

    A plain date means midnight UTC; a naive datetime is read in local_tz.
    Raises ValueError with a readable reason for anything else.
    """
    if isinstance(value, str):
        value = parse_time_text(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=local_tz)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=UTC)
    raise ValueError(f"expected a date or datetime, got {type(value).__name__}")


def parse_time_text(text: str) -> datetime | date:
    """Parse an ISO 8601 date or datetime (a trailing Z is accepted)."""
    text = text.strip()
    if not text:
        raise ValueError("empty timestamp")
    try:
        if len(text) == 10 and "T" not in text and " " not in text:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or datetime: {text!r}") from None


def end_of_day_utc(value: date | datetime) -> datetime:
    """Return the last instant covered by an as-of bound (a date means the whole day)."""
    if isinstance(value, datetime):
        return to_utc(value)
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(microseconds=1)


def check_not_future(moment: datetime, now: datetime) -> None:
    """Reject a business time more than FUTURE_TOLERANCE after now."""
    if moment > now + FUTURE_TOLERANCE:
        raise ValueError(f"{format_utc(moment)} is in the future (now {format_utc(now)})")


def format_utc(moment: datetime) -> str:
    """Format a UTC datetime the way the ledger writes it everywhere: ISO 8601 with Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def upper_bound(moment: datetime | date | str, local_tz: tzinfo) -> datetime:
    """Return the last instant an as-of bound covers: a date means its whole day (UTC), a naive time local_tz."""
    if isinstance(moment, str):
        moment = parse_time_text(moment)
    if isinstance(moment, datetime):
        return to_utc(moment, local_tz)
    return end_of_day_utc(moment)


def lower_bound(moment: datetime | date | str, local_tz: tzinfo) -> datetime:
    """Return the first instant a from-bound covers: a date means its midnight (UTC), a naive time local_tz."""
    return to_utc(parse_time_text(moment) if isinstance(moment, str) else moment, local_tz)
