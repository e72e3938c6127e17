"""Realistic, deterministic sample events in the JSONL wire format, for demos and benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

CHANNELS = ["phone", "email", "web", "app", "chat", "wechat", "sms", "in_person", "social"]
CONTACT_TOPICS = ["delivery", "billing", "product question", "account", "returns", "promotion"]
CATEGORIES = {"tea": (8, 40), "teaware": (20, 150), "gift box": (30, 120), "subscription": (15, 25)}
SEVERITIES = ["low", "medium", "high", "critical"]
SEVERITY_WEIGHTS = [45, 35, 15, 5]
CURRENCIES = ["EUR", "USD", "GBP"]
CURRENCY_WEIGHTS = [85, 10, 5]
LIFECYCLES = ["prospect", "one_time", "growing", "loyal", "fading"]
LIFECYCLE_WEIGHTS = [20, 25, 20, 20, 15]
FIRST_NAMES = ["Ana", "Bo", "Chen", "Dara", "Emil", "Fatima", "Guo", "Hana", "Ivan", "Jia", "Kofi", "Lena", "Mei", "Nils"]
LAST_NAMES = ["Li", "Smith", "Wang", "Garcia", "Novak", "Okafor", "Zhang", "Jensen", "Rossi", "Kim"]
HOUR = 3600
DAY = 24 * HOUR

Draft = tuple[int, str, dict[str, Any]]  # (seconds since start, type, data)


def generate_events(customers: int, seed: int, start: date, end: date) -> Iterator[dict[str, Any]]:
    """Yield realistic sample events in the ledger's JSONL wire format, deterministic for a seed."""
    rng = random.Random(seed)
    origin = datetime.combine(start, time.min, tzinfo=UTC)
    horizon = int((datetime.combine(end, time.max, tzinfo=UTC) - origin).total_seconds())
    counter = 0
    for number in range(1, customers + 1):
        key = f"C-{number:06d}"
        drafts = [d for d in _customer_story(rng, key, horizon) if 0 <= d[0] <= horizon]
        drafts.sort(key=lambda draft: draft[0])
        for offset, event_type, data in drafts:
            counter += 1
            yield {
                "type": event_type,
                "customer": key,
                "occurred_at": (origin + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "event_id": f"gen-{seed}-{counter}",
                "source": "generator",
                "data": data,
            }


def _customer_story(rng: random.Random, key: str, horizon: int) -> list[Draft]:
    lifecycle = rng.choices(LIFECYCLES, LIFECYCLE_WEIGHTS)[0]
    signup = rng.randrange(0, max(1, int(horizon * 0.85)))
    drafts: list[Draft] = [(signup, "customer_registered", _details(rng, key))]
    if rng.random() < 0.1:
        drafts.append(
            (signup + rng.randrange(DAY, 400 * DAY), "customer_updated", {"segment": rng.choice(["retail", "business"])})
        )
    purchase_times = _purchase_times(rng, lifecycle, signup, horizon)
    currency = rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0]
    grievance = 0  # lowers this customer's survey scores
    for index, moment in enumerate(purchase_times, start=1):
        order_id = f"{key}-O{index}"
        category = rng.choice(list(CATEGORIES))
        low, high = CATEGORIES[category]
        quantity = rng.choice([1, 1, 1, 2, 3])
        cents = 0 if rng.random() < 0.02 else rng.randrange(low * 100, high * 100) * quantity
        amount = f"{cents // 100}.{cents % 100:02d}"
        drafts.append(
            (
                moment,
                "purchase",
                {
                    "order_id": order_id,
                    "amount": amount,
                    "currency": currency,
                    "quantity": quantity,
                    "sku": f"{category[:3].upper()}-{rng.randrange(1, 40):02d}",
                    "category": category,
                    "channel": rng.choice(["web", "app", "in_person", "wechat"]),
                },
            )
        )
        if cents and rng.random() < 0.08:
            refund_cents = cents if rng.random() < 0.5 else max(1, cents // rng.choice([2, 3, 4]))
            drafts.append(
                (
                    moment + rng.randrange(2 * DAY, 20 * DAY),
                    "refund",
                    {
                        "order_id": order_id,
                        "amount": f"{refund_cents // 100}.{refund_cents % 100:02d}",
                        "reason": rng.choice(["damaged", "late", "wrong item", "changed mind"]),
                    },
                )
            )
        if rng.random() < 0.12:
            complaint_drafts, hurt = _complaint(rng, f"{key}-K{index}", moment + rng.randrange(HOUR, 10 * DAY))
            drafts.extend(complaint_drafts)
            grievance += hurt
            about = f"{key}-K{index}"
        else:
            about = order_id
        if rng.random() < 0.35:
            drafts.append(_survey(rng, f"{key}-S{index}", moment + rng.randrange(DAY, 15 * DAY), grievance, about))
    active_until = (purchase_times[-1] if purchase_times else signup) + 60 * DAY
    for _ in range(rng.randrange(0, 6)):
        drafts.append((rng.randrange(signup, max(signup + 1, active_until)), "contact", _contact(rng)))
    return drafts


def _purchase_times(rng: random.Random, lifecycle: str, signup: int, horizon: int) -> list[int]:
    first = signup + rng.randrange(0, 30 * DAY)
    if lifecycle == "prospect":
        return []
    if lifecycle == "one_time":
        return [first]
    if lifecycle == "growing":
        gaps = [rng.randrange(gap * DAY // 2, gap * DAY) for gap in (150, 110, 80, 60, 45, 35)[: rng.randrange(1, 6)]]
    elif lifecycle == "loyal":
        gaps = [rng.randrange(30 * DAY, 90 * DAY) for _ in range(40)]
    else:  # fading: regular at first, then nothing for a long time
        gaps = [rng.randrange(25 * DAY, 60 * DAY) for _ in range(rng.randrange(2, 8))]
    times = [first]
    for gap in gaps:
        times.append(times[-1] + gap)
    if lifecycle == "fading":
        times = [t for t in times if t < horizon - 400 * DAY] or times[:1]
    return [t for t in times if t <= horizon]


def _complaint(rng: random.Random, complaint_id: str, filed: int) -> tuple[list[Draft], int]:
    severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
    drafts: list[Draft] = [
        (
            filed,
            "complaint_filed",
            {
                "complaint_id": complaint_id,
                "severity": severity,
                "channel": rng.choice(CHANNELS),
                "category": rng.choice(CONTACT_TOPICS),
                "description": "sample complaint",
            },
        )
    ]
    slow = rng.random() < 0.25
    if rng.random() < 0.07:  # left open, perhaps with a first answer
        if rng.random() < 0.5:
            drafts.append(
                (
                    filed + rng.randrange(HOUR, 72 * HOUR),
                    "complaint_responded",
                    {"complaint_id": complaint_id, "responder": "agent"},
                )
            )
        return drafts, 3
    moment = filed + (rng.randrange(30 * HOUR, 120 * HOUR) if slow else rng.randrange(HOUR // 2, 10 * HOUR))
    reopened = rng.random() < 0.1
    for round_ in range(2 if reopened else 1):
        if round_:
            moment += rng.randrange(DAY, 5 * DAY)
            drafts.append((moment, "complaint_reopened", {"complaint_id": complaint_id, "reason": "not fixed"}))
            moment += rng.randrange(HOUR, 24 * HOUR)
        drafts.append(
            (moment, "complaint_responded", {"complaint_id": complaint_id, "message": "we are on it", "responder": "agent"})
        )
        moment += rng.randrange(4 * HOUR, (12 if slow else 3) * DAY)
        drafts.append(
            (moment, "complaint_resolved", {"complaint_id": complaint_id, "resolution": "voucher", "responder": "agent"})
        )
    return drafts, 2 if slow or reopened else 1


def _survey(rng: random.Random, survey_id: str, moment: int, grievance: int, about: str) -> Draft:
    kind = rng.choices(["nps", "csat", "ces"], [50, 35, 15])[0]
    mood = rng.gauss(0.75, 0.15) - 0.12 * min(grievance, 4)  # 0 = furious, 1 = delighted
    mood = min(1.0, max(0.0, mood))
    score = {"nps": round(mood * 10), "csat": 1 + round(mood * 4), "ces": 7 - round(mood * 6)}[kind]
    data: dict[str, Any] = {
        "survey_id": survey_id,
        "kind": kind,
        "score": score,
        "channel": rng.choice(["email", "sms", "app"]),
        "about": about,
    }
    if rng.random() < 0.3:
        data["expectation"] = rng.randrange(5, 11)
        data["perceived_quality"] = max(1, min(10, round(mood * 10) + rng.randrange(-1, 2)))
        data["perceived_value"] = max(1, min(10, round(mood * 9) + rng.randrange(-1, 2)))
    return (moment, "survey_answered", data)


def _contact(rng: random.Random) -> dict[str, Any]:
    return {
        "channel": rng.choice(CHANNELS),
        "direction": rng.choice(["inbound", "inbound", "outbound"]),
        "topic": rng.choice(CONTACT_TOPICS),
        "agent": f"agent-{rng.randrange(1, 30)}",
        "duration_s": rng.randrange(30, 1800),
    }


def _details(rng: random.Random, key: str) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "name": f"{first} {last}",
        "email": f"{first}.{last}.{key}@example.com".lower(),
        "phone": f"+{rng.randrange(1, 99)} {rng.randrange(100, 999)} {rng.randrange(1000000, 9999999)}",
        "segment": rng.choices(["retail", "business"], [85, 15])[0],
    }
