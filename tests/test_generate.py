"""The sample generator: valid, deterministic, realistic (no database)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from statistics import mean

import pytest

from commands.generate import generate_events
from ledger.events import EVENT_TYPES

START, END = date(2021, 1, 1), date(2024, 12, 31)


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return list(generate_events(400, 7, START, END))


def test_every_line_is_valid_wire_format(sample):
    for line in sample:
        assert set(line) == {"type", "customer", "occurred_at", "event_id", "source", "data"}
        EVENT_TYPES[line["type"]].model_validate(line["data"])


def test_deterministic_for_a_seed():
    assert list(generate_events(50, 3, START, END)) == list(generate_events(50, 3, START, END))
    assert list(generate_events(50, 3, START, END)) != list(generate_events(50, 4, START, END))


def test_event_ids_are_unique(sample):
    assert len({line["event_id"] for line in sample}) == len(sample)


def test_times_are_in_range_and_ordered_per_customer(sample):
    last: dict[str, datetime] = {}
    for line in sample:
        moment = datetime.fromisoformat(line["occurred_at"])
        assert datetime(2021, 1, 1, tzinfo=UTC) <= moment < datetime(2025, 1, 1, tzinfo=UTC)
        assert moment >= last.get(line["customer"], moment)
        last[line["customer"]] = moment


def test_rules_hold_in_stream_order(sample):
    unrefunded: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    complaints: dict[tuple[str, str], str] = {}
    for line in sample:
        key, data = line["customer"], line["data"]
        match line["type"]:
            case "purchase":
                unrefunded[key, data["order_id"]] += Decimal(data["amount"])
            case "refund":
                assert Decimal(data["amount"]) <= unrefunded[key, data["order_id"]]
                unrefunded[key, data["order_id"]] -= Decimal(data["amount"])
            case "complaint_filed":
                assert (key, data["complaint_id"]) not in complaints
                complaints[key, data["complaint_id"]] = "open"
            case "complaint_responded":
                assert complaints[key, data["complaint_id"]] == "open"
            case "complaint_resolved":
                assert complaints[key, data["complaint_id"]] == "open"
                complaints[key, data["complaint_id"]] = "resolved"
            case "complaint_reopened":
                assert complaints[key, data["complaint_id"]] == "resolved"
                complaints[key, data["complaint_id"]] = "open"


def test_the_mix_has_every_kind_of_customer(sample):
    purchase_days: dict[str, set[str]] = defaultdict(set)
    customers = {line["customer"] for line in sample}
    for line in sample:
        if line["type"] == "purchase":
            purchase_days[line["customer"]].add(line["occurred_at"][:10])
    counts = [len(purchase_days[c]) for c in customers]
    assert counts.count(0) > 40  # prospects
    assert counts.count(1) > 40  # one-time buyers
    assert sum(1 for n in counts if n >= 8) > 40  # regulars
    types = {line["type"] for line in sample}
    assert types == set(EVENT_TYPES) - {"event_voided", "event_corrected"}
    assert 6 <= len(sample) / len(customers) <= 16
    assert len({line["data"]["channel"] for line in sample if line["type"] == "contact"}) >= 6


def test_complaints_lower_survey_scores(sample):
    complained = {line["customer"] for line in sample if line["type"] == "complaint_filed"}
    nps = defaultdict(list)
    for line in sample:
        if line["type"] == "survey_answered" and line["data"]["kind"] == "nps":
            nps[line["customer"] in complained].append(line["data"]["score"])
    assert mean(nps[True]) < mean(nps[False]) - 0.5
