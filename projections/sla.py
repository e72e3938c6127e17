"""Complaint SLA: whether first-response and resolution targets were met, on a given moment (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationInfo, field_validator

from commands.event_fields import Severity
from commands.timeutil import load_timezone
from projections.business_hours import Calendar, parse_calendar

DEFAULT_FIRST_RESPONSE_HOURS = {Severity.CRITICAL: 4, Severity.HIGH: 24, Severity.MEDIUM: 48, Severity.LOW: 72}
DEFAULT_RESOLUTION_DAYS = {Severity.CRITICAL: 1, Severity.HIGH: 3, Severity.MEDIUM: 7, Severity.LOW: 14}


class SlaSettings(BaseModel):
    """The ``[sla]`` table: complaint targets per severity (a severity left out keeps its default), and a calendar.

    With ``business_hours``, targets and times count business hours only (a target
    day is a business day: the calendar's mean opening hours per open day), in
    ``timezone`` (default the ledger's), skipping ``holidays``; wall-clock otherwise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_response_hours: dict[Severity, PositiveInt] = Field(default_factory=lambda: dict(DEFAULT_FIRST_RESPONSE_HOURS))
    resolution_days: dict[Severity, PositiveInt] = Field(default_factory=lambda: dict(DEFAULT_RESOLUTION_DAYS))
    business_hours: str | None = None
    holidays: list[date] = Field(default_factory=list)
    timezone: str | None = None

    @field_validator("business_hours")
    @classmethod
    def _valid_calendar(cls, text: str | None) -> str | None:
        if text is not None:
            parse_calendar(text)
        return text

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, name: str | None) -> str | None:
        if name is not None:
            load_timezone(name)
        return name

    def calendar(self, default_zone: tzinfo) -> Calendar | None:
        """Return the business calendar, None when targets are wall-clock."""
        if self.business_hours is None:
            return None
        zone = default_zone if self.timezone is None else load_timezone(self.timezone)
        return Calendar(parse_calendar(self.business_hours), frozenset(self.holidays), zone)

    @field_validator("first_response_hours", "resolution_days", mode="before")
    @classmethod
    def _keep_defaults(cls, targets: Any, info: ValidationInfo) -> Any:
        defaults = DEFAULT_FIRST_RESPONSE_HOURS if info.field_name == "first_response_hours" else DEFAULT_RESOLUTION_DAYS
        return {**{s.value: hours for s, hours in defaults.items()}, **targets} if isinstance(targets, dict) else targets


def _met(elapsed: timedelta, done: bool, target: timedelta) -> bool | None:
    """Met, missed, or None while still within target and not done."""
    if done:
        return elapsed <= target
    return None if elapsed <= target else False


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    """A complaint's age, times and SLA outcomes on a moment (hours; None: not responded or not resolved yet)."""

    age_hours: float
    first_response_hours: float | None
    resolution_hours: float | None
    response_met: bool | None
    resolution_met: bool | None
    overdue: bool


def evaluate(complaint: dict[str, Any], now: datetime, sla: SlaSettings, calendar: Calendar | None = None) -> SlaOutcome:
    """Return a complaint's (dict with datetimes) age, times and SLA outcomes on a moment.

    With a calendar, times and targets are business hours; the age stays wall-clock.
    """
    severity = Severity(complaint["severity"])
    filed, responded, resolved = complaint["filed_at"], complaint["first_response_at"], complaint["resolved_at"]
    if calendar is None:
        day, elapsed = timedelta(days=1), _wall_clock
    else:
        day, elapsed = timedelta(hours=calendar.hours_per_day), calendar.between
    response = elapsed(filed, responded or now)
    resolution = elapsed(filed, resolved or now)
    response_met = _met(response, responded is not None, timedelta(hours=sla.first_response_hours[severity]))
    resolution_met = _met(resolution, resolved is not None, sla.resolution_days[severity] * day)
    return SlaOutcome(
        age_hours=_hours((resolved or now) - filed),
        first_response_hours=None if responded is None else _hours(response),
        resolution_hours=None if resolved is None else _hours(resolution),
        response_met=response_met,
        resolution_met=resolution_met,
        overdue=complaint["state"] == "open" and (response_met is False or resolution_met is False),
    )


def _wall_clock(start: datetime, end: datetime) -> timedelta:
    return end - start


def _hours(elapsed: timedelta) -> float:
    return elapsed.total_seconds() / 3600
