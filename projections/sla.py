"""Complaint SLA: whether first-response and resolution targets were met, on a given moment (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationInfo, field_validator

from commands.events import Severity
from projections.facts import iso

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


def evaluate(complaint: dict[str, Any], now: datetime, sla: SlaSettings) -> dict[str, Any]:
    """Return a complaint (dict with datetimes) with its age, times and SLA outcomes on a moment."""
    severity = Severity(complaint["severity"])
    filed, responded, resolved = complaint["filed_at"], complaint["first_response_at"], complaint["resolved_at"]
    response_target = timedelta(hours=sla.first_response_hours[severity])
    resolution_target = timedelta(days=sla.resolution_days[severity])
    response_met = _met(filed, responded, response_target, now)
    resolution_met = _met(filed, resolved, resolution_target, now)
    end = resolved or now
    return {
        "customer": complaint["customer"],
        "complaint_id": complaint["complaint_id"],
        "severity": severity.value,
        "channel": complaint["channel"],
        "state": complaint["state"],
        "filed_at": iso(filed),
        "age_hours": (end - filed).total_seconds() / 3600,
        "first_response_hours": None if responded is None else (responded - filed).total_seconds() / 3600,
        "resolution_hours": None if resolved is None else (resolved - filed).total_seconds() / 3600,
        "response_met": response_met,
        "resolution_met": resolution_met,
        "reopened": complaint["reopened"],
        "overdue": complaint["state"] == "open" and (response_met is False or resolution_met is False),
    }
