"""Satisfaction: one row per survey answer (as corrected), the input of the trends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text

from projections.facts import Fact, iso, period_of

NAME = "satisfaction"
VERSION = 2  # 2: period indexes for trends


def define_tables(metadata: MetaData, prefix: str) -> dict[str, Table]:
    """Define this projection's tables with a generation prefix."""
    table = Table(
        f"{prefix}answers",
        metadata,
        Column("event_id", Text, primary_key=True),
        Column("customer", Text, nullable=False),
        Column("segment", Text),
        Column("occurred_at", Text, nullable=False),
        Column("kind", Text, nullable=False),
        Column("score", Integer, nullable=False),
        Column("expectation", Integer),
        Column("perceived_quality", Integer),
        Column("perceived_value", Integer),
        Column("channel", Text),
    )
    Index(f"{prefix}answers_customer", table.c.customer)
    # Trends group answers by period, kind and score and sum the rest: these indexes cover that,
    # so the database reads them in order instead of sorting every answer on each query.
    for unit in ("month", "day"):
        c = table.c
        Index(
            f"{prefix}answers_by_{unit}",
            period_of(c.occurred_at, unit),
            c.kind,
            c.score,
            c.expectation,
            c.perceived_quality,
            c.perceived_value,
        )
    return {"answers": table}


def answer_rows(customer: str, facts: list[Fact]) -> list[dict[str, Any]]:
    """Return one dict per survey answer of a customer, with the customer's segment (times as datetimes)."""
    answers: list[dict[str, Any]] = []
    segment: str | None = None
    for fact in facts:
        data = fact.data
        if fact.type == "survey_answered":
            answers.append(
                {
                    "event_id": fact.event_id,
                    "customer": customer,
                    "occurred_at": fact.occurred_at,
                    "kind": data["kind"],
                    "score": data["score"],
                    "expectation": data.get("expectation"),
                    "perceived_quality": data.get("perceived_quality"),
                    "perceived_value": data.get("perceived_value"),
                    "channel": data.get("channel"),
                }
            )
        elif fact.type in ("customer_registered", "customer_updated") and "segment" in data:
            segment = data["segment"]
    for answer in answers:
        answer["segment"] = segment
    return answers


def rows(customer: str, facts: list[Fact]) -> dict[str, list[dict[str, Any]]]:
    """Return this projection's rows for one customer."""
    found = answer_rows(customer, facts)
    for row in found:
        row["occurred_at"] = iso(row["occurred_at"])
    return {"answers": found}
