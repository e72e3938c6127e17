"""Satisfaction: one row per survey answer (as corrected) and one per survey sent, the input of the trends.

A customer who answers one survey (``survey_id``) several times counts once per
kind: the latest answer (by occurred time, then stream order) replaces the
earlier ones, like a correction, and counts in its own period. A survey sent
more than once to a customer counts once, on its first sending, as answered
when any answer to it occurred by the as-of moment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text

from projections.facts import Fact, iso, period_of

NAME = "satisfaction"
VERSION = 3  # 2: period indexes for trends; 3: repeat answers count once, surveys sent


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
    sent = Table(
        f"{prefix}sent",
        metadata,
        Column("customer", Text, primary_key=True),
        Column("survey_id", Text, primary_key=True),
        Column("segment", Text),
        Column("channel", Text),
        Column("sent_at", Text, nullable=False),
        Column("answered", Integer, nullable=False),
    )
    Index(f"{prefix}sent_by_month", period_of(sent.c.sent_at, "month"), sent.c.answered)
    return {"answers": table, "sent": sent}


def answer_rows(customer: str, facts: list[Fact]) -> list[dict[str, Any]]:
    """Return one dict per counted survey answer of a customer, with the customer's segment (times as datetimes)."""
    latest: dict[tuple[str, str], Fact] = {}
    segment: str | None = None
    for fact in facts:
        data = fact.data
        if fact.type == "survey_answered":
            key = (data["survey_id"], data["kind"])
            found = latest.get(key)
            if found is None or fact.occurred >= found.occurred:
                latest[key] = fact
        elif fact.type in ("customer_registered", "customer_updated") and "segment" in data:
            segment = data["segment"]
    return [
        {
            "event_id": fact.event_id,
            "customer": customer,
            "segment": segment,
            "occurred_at": fact.occurred_at,
            "kind": fact.data["kind"],
            "score": fact.data["score"],
            "expectation": fact.data.get("expectation"),
            "perceived_quality": fact.data.get("perceived_quality"),
            "perceived_value": fact.data.get("perceived_value"),
            "channel": fact.data.get("channel"),
        }
        for fact in sorted(latest.values(), key=lambda f: f.occurred)
    ]


def sent_rows(customer: str, facts: list[Fact]) -> list[dict[str, Any]]:
    """Return one dict per survey sent to a customer: its first sending, and whether it was answered."""
    sent: dict[str, dict[str, Any]] = {}
    answered: set[str] = set()
    segment: str | None = None
    for fact in facts:
        data = fact.data
        if fact.type == "survey_sent":
            found = sent.get(data["survey_id"])
            if found is None or fact.occurred < found["sent_at"]:
                sent[data["survey_id"]] = {
                    "customer": customer,
                    "survey_id": data["survey_id"],
                    "channel": data.get("channel"),
                    "sent_at": fact.occurred,
                }
        elif fact.type == "survey_answered":
            answered.add(data["survey_id"])
        elif fact.type in ("customer_registered", "customer_updated") and "segment" in data:
            segment = data["segment"]
    for survey_id, row in sent.items():
        row["segment"] = segment
        row["answered"] = int(survey_id in answered)
    return list(sent.values())


def rows(customer: str, facts: list[Fact]) -> dict[str, list[dict[str, Any]]]:
    """Return this projection's rows for one customer."""
    found = answer_rows(customer, facts)
    for row in found:
        row["occurred_at"] = iso(row["occurred_at"])
    return {"answers": found, "sent": sent_rows(customer, facts)}
