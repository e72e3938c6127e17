"""The sample generator: valid, deterministic, realistic (no database)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from statistics import mean
from typing import Any

import pytest

from commands.events import EVENT_TYPES
from ledger.sample_data import generate_events

START, END = date(2021, 1, 1), date(2024, 12, 31)
ENVELOPE = {"type", "customer", "occurred_at", "event_id", "source", "data"}
Line = dict[str, Any]


@pytest.fixture(scope="module")
def sample() -> list[Line]:
    return list(generate_events(300, 7, START, END))


def by_customer(lines: list[Line]) -> dict[str, list[Line]]:
    """Group lines by customer, keeping their order."""
    groups: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        groups[line["customer"]].append(line)
    return groups


def test_every_line_has_the_envelope_and_valid_json_native_data(sample):
    for line in sample:
        assert set(line) == ENVELOPE
        assert line["source"] == "generator"
        assert re.fullmatch(r"C-\d{6}", line["customer"])
        EVENT_TYPES[line["type"]].model_validate(line["data"])
    assert json.loads(json.dumps(sample)) == sample


def test_deterministic_for_a_seed():
    first = list(generate_events(50, 3, START, END))
    assert first == list(generate_events(50, 3, START, END))
    assert first != list(generate_events(50, 4, START, END))


def test_event_ids_are_unique_and_name_the_seed(sample):
    ids = [line["event_id"] for line in sample]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"gen-7-\d+", event_id) for event_id in ids)


def test_times_are_utc_and_within_the_days_given(sample):
    for line in sample:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line["occurred_at"])
        assert START.isoformat() <= line["occurred_at"][:10] <= END.isoformat()


def test_a_single_day_stays_within_that_day():
    day = date(2024, 2, 29)
    lines = list(generate_events(100, 1, day, day))
    assert len({line["customer"] for line in lines}) > 90  # buyers without details may first buy later
    assert {line["occurred_at"][:10] for line in lines} == {"2024-02-29"}


def test_start_after_end_is_refused():
    with pytest.raises(ValueError, match="after"):
        next(generate_events(1, 1, END, START))


def test_each_customer_is_contiguous_and_in_time_order(sample):
    runs = [customer for customer, _ in groupby(sample, key=itemgetter("customer"))]
    assert len(runs) == len(set(runs)) == 300
    for lines in by_customer(sample).values():
        moments = [datetime.fromisoformat(line["occurred_at"]) for line in lines]
        assert moments == sorted(moments)


def test_ledger_rules_hold_in_append_order(sample):
    for lines in by_customer(sample).values():
        unrefunded: dict[str, Decimal] = {}
        currencies: dict[str, str] = {}
        complaints: dict[str, str] = {}
        for line in lines:
            data = line["data"]
            match line["type"]:
                case "purchase":
                    assert data["order_id"] not in unrefunded
                    unrefunded[data["order_id"]] = Decimal(data["amount"])
                    currencies[data["order_id"]] = data["currency"]
                case "refund":
                    assert Decimal(data["amount"]) <= unrefunded[data["order_id"]]
                    assert data.get("currency", currencies[data["order_id"]]) == currencies[data["order_id"]]
                    unrefunded[data["order_id"]] -= Decimal(data["amount"])
                case "complaint_filed":
                    assert data["complaint_id"] not in complaints
                    complaints[data["complaint_id"]] = "open"
                case "complaint_responded":
                    assert complaints[data["complaint_id"]] == "open"
                case "complaint_resolved":
                    assert complaints[data["complaint_id"]] == "open"
                    complaints[data["complaint_id"]] = "resolved"
                case "complaint_reopened":
                    assert complaints[data["complaint_id"]] == "resolved"
                    complaints[data["complaint_id"]] = "open"
                case "survey_answered":
                    assert data["about"] in unrefunded or data["about"] in complaints


def test_the_mix_has_every_kind_of_customer(sample):
    purchase_days = {
        customer: {line["occurred_at"][:10] for line in lines if line["type"] == "purchase"}
        for customer, lines in by_customer(sample).items()
    }
    counts = [len(days) for days in purchase_days.values()]
    assert counts.count(0) >= 30  # prospects
    assert counts.count(1) >= 30  # one-time buyers
    assert sum(1 for n in counts if n >= 10) >= 15  # regulars over years
    assert 8 <= len(sample) / len(counts) <= 13
    types = Counter(line["type"] for line in sample)
    # Voids, corrections, erasure and restriction are operators' acts on a ledger, not customers' behaviour.
    operators_acts = {"event_voided", "event_corrected", "customer_erased", "processing_restricted", "processing_unrestricted"}
    assert set(types) == set(EVENT_TYPES) - operators_acts
    assert types["customer_registered"] < len(counts)  # a few were migrated without details
    assert len({line["data"]["channel"] for line in sample if line["type"] == "contact"}) == 9
    assert {line["data"]["kind"] for line in sample if line["type"] == "survey_answered"} == {"nps", "csat", "ces"}
    assert {line["data"]["currency"] for line in sample if line["type"] == "purchase"} == {"EUR", "USD", "GBP"}


def test_prospects_only_register_and_get_in_touch(sample):
    for lines in by_customer(sample).values():
        types = {line["type"] for line in lines}
        if "purchase" not in types:
            assert types <= {"customer_registered", "customer_updated", "contact", "consent_granted", "consent_withdrawn"}


def test_complaints_are_answered_fast_or_slow_and_some_stay_open(sample):
    filed: dict[tuple[str, str], datetime] = {}
    delays: list[float] = []
    status: dict[tuple[str, str], str] = {}
    for line in sample:
        key = (line["customer"], line["data"].get("complaint_id", ""))
        moment = datetime.fromisoformat(line["occurred_at"])
        if line["type"] == "complaint_filed":
            filed[key] = moment
        elif line["type"] == "complaint_responded" and key in filed:
            delays.append((moment - filed.pop(key)).total_seconds() / 3600)
        if line["type"].startswith("complaint_"):
            status[key] = line["type"]
    assert any(hours < 12 for hours in delays)
    assert any(hours > 24 for hours in delays)
    assert "complaint_reopened" in {line["type"] for line in sample}
    assert any(last in {"complaint_filed", "complaint_responded", "complaint_reopened"} for last in status.values())


def test_refunds_are_full_or_partial(sample):
    amounts = {
        (line["customer"], line["data"]["order_id"]): Decimal(line["data"]["amount"])
        for line in sample
        if line["type"] == "purchase"
    }
    refunds = [line for line in sample if line["type"] == "refund"]
    full = [r for r in refunds if Decimal(r["data"]["amount"]) == amounts[r["customer"], r["data"]["order_id"]]]
    assert 0 < len(full) < len(refunds)


def test_complaints_lower_survey_scores(sample):
    complained = {line["customer"] for line in sample if line["type"] == "complaint_filed"}
    satisfaction: dict[bool, list[float]] = defaultdict(list)
    for line in sample:
        if line["type"] == "survey_answered":
            kind, score = line["data"]["kind"], line["data"]["score"]
            # On one scale from 0 (worst) to 1 (best); a low CES means little effort, which is good.
            share = {"nps": score / 10, "csat": (score - 1) / 4, "ces": (7 - score) / 6}[kind]
            satisfaction[line["customer"] in complained].append(share)
    assert len(satisfaction[True]) >= 30
    assert mean(satisfaction[True]) < mean(satisfaction[False]) - 0.1
