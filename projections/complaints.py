"""Complaints: one row per complaint with its state and SLA times, and one row per resolution for trends.

A month's resolved complaints are the resolutions dated in it, each with the times
it closed the complaint in: a later reopening or resolution adds its own row in its
own month and never changes a closed month's figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text

from projections.facts import Fact, iso, period_of
from projections.metrics import micros_between

NAME = "complaints"
VERSION = 4  # 2: the resolution's times in microseconds, for trends; 3: the period indexes of trends; 4: resolutions


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
    resolutions = Table(
        f"{prefix}resolutions",
        metadata,
        Column("customer", Text, primary_key=True),
        Column("complaint_id", Text, primary_key=True),
        Column("resolved_at", Text, primary_key=True),
        Column("channel", Text),
        Column("segment", Text),
        # From filing to the first response (or this resolution) and to this resolution.
        Column("response_micros", BigInteger, nullable=False),
        Column("resolution_micros", BigInteger, nullable=False),
    )
    # Trends count complaints filed and resolved per period and take the median times of those
    # resolved: these indexes hold them in that order, so that a median is read at an offset.
    c, r = table.c, resolutions.c
    for unit in ("month", "day"):
        Index(f"{prefix}complaints_filed_by_{unit}", period_of(c.filed_at, unit))
        for times in (r.response_micros, r.resolution_micros):
            Index(f"{prefix}resolutions_{times.name}_by_{unit}", period_of(r.resolved_at, unit), times)
    return {"complaints": table, "resolutions": resolutions}


def _earliest(current: datetime | None, when: datetime) -> datetime:
    return when if current is None or when < current else current


def complaint_rows(customer: str, facts: list[Fact]) -> list[dict[str, Any]]:
    """Fold a customer's effective facts into one dict per complaint (times as datetimes).

    The first response is the earliest answer or resolution; the resolution time is
    that of the resolution that closed the complaint for good (after any reopening).
    ``resolutions`` lists every resolution as (resolved at, first response by then).
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
                "resolutions": [],
            }
            continue
        complaint = complaints.get(data["complaint_id"])
        if complaint is None:
            continue
        if fact.type in ("complaint_responded", "complaint_resolved"):
            complaint["first_response_at"] = _earliest(complaint["first_response_at"], fact.occurred_at)
        if fact.type == "complaint_resolved":
            complaint["state"], complaint["resolved_at"] = "resolved", fact.occurred_at
            complaint["resolutions"].append((fact.occurred_at, complaint["first_response_at"]))
        elif fact.type == "complaint_reopened":
            complaint["state"], complaint["resolved_at"] = "open", None
            complaint["reopened"] += 1
    for complaint in complaints.values():
        complaint["segment"] = segment
    return list(complaints.values())


def rows(customer: str, facts: list[Fact]) -> dict[str, list[dict[str, Any]]]:
    """Return this projection's rows for one customer."""
    found = complaint_rows(customer, facts)
    resolutions = []
    for row in found:
        filed, resolved = row["filed_at"], row["resolved_at"]
        for at, responded in row.pop("resolutions"):
            resolutions.append(
                {
                    "customer": customer,
                    "complaint_id": row["complaint_id"],
                    "resolved_at": iso(at),
                    "channel": row["channel"],
                    "segment": row["segment"],
                    "response_micros": micros_between(filed, responded or at),
                    "resolution_micros": micros_between(filed, at),
                }
            )
        row["response_micros"] = micros_between(filed, row["first_response_at"] or resolved) if resolved else None
        row["resolution_micros"] = micros_between(filed, resolved) if resolved else None
        for key in ("filed_at", "first_response_at", "resolved_at"):
            row[key] = iso(row[key])
    return {"complaints": found, "resolutions": resolutions}
