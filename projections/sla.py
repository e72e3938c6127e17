"""Complaint SLA: whether first-response and resolution targets were met, on a given moment (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationInfo, field_validator

from commands.event_fields import Severity

DEFAULT_FIRST_RESPONSE_HOURS = {Severity.CRITICAL: 4, Severity.HIGH: 24, Severity.MEDIUM: 48, Severity.LOW: 72}
DEFAULT_RESOLUTION_DAYS = {Severity.CRITICAL: 1, Severity.HIGH: 3, Severity.MEDIUM: 7, Severity.LOW: 14}


class SlaSettings(BaseModel):
    """The ``[sla]`` table: complaint targets per severity; a severity left out keeps its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_response_hours: dict[Severity, PositiveInt] = Field(default_factory=lambda: dict(DEFAULT_FIRST_RESPONSE_HOURS))
    resolution_days: dict[Severity, PositiveInt] = Field(default_factory=lambda: dict(DEFAULT_RESOLUTION_DAYS))

    @field_validator("first_response_hours", "resolution_days", mode="before")
    @classmethod
    def _keep_defaults(cls, targets: Any, info: ValidationInfo) -> Any:
        defaults = DEFAULT_FIRST_RESPONSE_HOURS if info.field_name == "first_response_hours" else DEFAULT_RESOLUTION_DAYS
        return {**{s.value: hours for s, hours in defaults.items()}, **targets} if isinstance(targets, dict) else targets


def _met(filed: datetime, done: datetime | None, target: timedelta, now: datetime) -> bool | None:
    """Met, missed, or None while still within target and not done."""
    if done is not None:
        return done - filed <= target
    return None if now - filed <= target else False


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    """A complaint's age, times and SLA outcomes on a moment (hours; None: not responded or not resolved yet)."""

    age_hours: float
    first_response_hours: float | None
    resolution_hours: float | None
    response_met: bool | None
    resolution_met: bool | None
    overdue: bool


def evaluate(complaint: dict[str, Any], now: datetime, sla: SlaSettings) -> SlaOutcome:
    """Return a complaint's (dict with datetimes) age, times and SLA outcomes on a moment."""
    severity = Severity(complaint["severity"])
    filed, responded, resolved = complaint["filed_at"], complaint["first_response_at"], complaint["resolved_at"]
    response_met = _met(filed, responded, timedelta(hours=sla.first_response_hours[severity]), now)
    resolution_met = _met(filed, resolved, timedelta(days=sla.resolution_days[severity]), now)
    return SlaOutcome(
        age_hours=_hours((resolved or now) - filed),
        first_response_hours=None if responded is None else _hours(responded - filed),
        resolution_hours=None if resolved is None else _hours(resolved - filed),
        response_met=response_met,
        resolution_met=resolution_met,
        overdue=complaint["state"] == "open" and (response_met is False or resolution_met is False),
    )


def _hours(elapsed: timedelta) -> float:
    return elapsed.total_seconds() / 3600
