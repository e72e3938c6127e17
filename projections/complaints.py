"""Complaints: one row per complaint with its state and the times its SLA targets are measured on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text

from projections.facts import Fact, iso, period_of
from projections.metrics import micros_between

NAME = "complaints"
VERSION = 3  # 2: the resolution's times in microseconds, for trends; 3: the period indexes of trends


def define_tables(metadata: MetaData, prefix: str) -> dict[str, Table]:
    """Define this projection's tables with a generation prefix."""
    table = Table(
        f"{prefix}complaints",
        metadata,
        Column("customer", Text, primary_key=True),
        Column("complaint_id", Text, primary_key=True),
        Column("severity", Text, nullable=False),
        Column("channel", Text),
        Column("category", Text),
        Column("segment", Text),
        Column("state", Text, nullable=False),
        Column("filed_at", Text, nullable=False),
        Column("first_response_at", Text),
        Column("resolved_at", Text),
        Column("reopened", Integer, nullable=False),
        # From filing to the first response (or the resolution) and to the resolution, once resolved:
        # stored so that trends read them rather than compute them from the times on every query.
        Column("response_micros", BigInteger),
        Column("resolution_micros", BigInteger),
    )
    # Trends count complaints filed and resolved per period and take the median times of those
    # resolved: these indexes hold them in that order, so that a median is read at an offset.
    c = table.c
    for unit in ("month", "day"):
        Index(f"{prefix}complaints_filed_by_{unit}", period_of(c.filed_at, unit))
        for times in (c.response_micros, c.resolution_micros):
            Index(f"{prefix}complaints_{times.name}_by_{unit}", period_of(c.resolved_at, unit), times)
    return {"complaints": table}


def _earliest(current: datetime | None, when: datetime) -> datetime:
    return when if current is None or when < current else current


def complaint_rows(customer: str, facts: list[Fact]) -> list[dict[str, Any]]:
    """Fold a customer's effective facts into one dict per complaint (times as datetimes).

    The first response is the earliest answer or resolution; the resolution time is
    that of the resolution that closed the complaint for good (after any reopening).
    """
    complaints: dict[str, dict[str, Any]] = {}
    segment: str | None = None
    for fact in facts:
        data = fact.data
        if fact.type in ("customer_registered", "customer_updated") and "segment" in data:
            segment = data["segment"]
            continue
        if not fact.type.startswith("complaint_"):
            continue
        if fact.type == "complaint_filed":
            complaints[data["complaint_id"]] = {
                "customer": customer,
                "complaint_id": data["complaint_id"],
                "severity": data["severity"],
                "channel": data.get("channel"),
                "category": data.get("category"),
                "state": "open",
                "filed_at": fact.occurred_at,
                "first_response_at": None,
                "resolved_at": None,
                "reopened": 0,
            }
            continue
        complaint = complaints.get(data["complaint_id"])
        if complaint is None:
            continue
        if fact.type in ("complaint_responded", "complaint_resolved"):
            complaint["first_response_at"] = _earliest(complaint["first_response_at"], fact.occurred_at)
        if fact.type == "complaint_resolved":
            complaint["state"], complaint["resolved_at"] = "resolved", fact.occurred_at
        elif fact.type == "complaint_reopened":
            complaint["state"], complaint["resolved_at"] = "open", None
            complaint["reopened"] += 1
    for complaint in complaints.values():
        complaint["segment"] = segment
    return list(complaints.values())


def rows(customer: str, facts: list[Fact]) -> dict[str, list[dict[str, Any]]]:
    """Return this projection's rows for one customer."""
    found = complaint_rows(customer, facts)
    for row in found:
        filed, resolved = row["filed_at"], row["resolved_at"]
        row["response_micros"] = micros_between(filed, row["first_response_at"] or resolved) if resolved else None
        row["resolution_micros"] = micros_between(filed, resolved) if resolved else None
        for key in ("filed_at", "first_response_at", "resolved_at"):
            row[key] = iso(row[key])
    return {"complaints": found}
