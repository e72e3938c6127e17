"""Realistic, deterministic sample events in the JSONL wire format, for demos and benchmarks."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any

from ledger.sample_consent import consent_drafts

CHANNELS = ["phone", "email", "web", "app", "chat", "wechat", "sms", "in_person", "social"]
CONTACT_CHANNEL_WEIGHTS = [20, 25, 10, 10, 15, 5, 5, 5, 5]
PURCHASE_CHANNELS = ["web", "app", "in_person", "wechat", "phone"]
PURCHASE_CHANNEL_WEIGHTS = [45, 25, 15, 10, 5]
CONTACT_TOPICS = ["delivery", "billing", "product question", "account", "returns", "promotion"]
# SKU prefix and unit price range in whole currency units per category.
CATEGORIES = {"tea": ("TEA", 6, 40), "teaware": ("WARE", 15, 150), "gift box": ("GIFT", 25, 120), "subscription": ("SUB", 12, 25)}
SEVERITIES = ["low", "medium", "high", "critical"]
SEVERITY_WEIGHTS = [45, 35, 15, 5]
CURRENCIES = ["EUR", "USD", "GBP"]  # all with two minor units, so amounts are whole cents
CURRENCY_WEIGHTS = [85, 10, 5]
LIFECYCLES = ["prospect", "one_time", "growing", "loyal", "fading"]
LIFECYCLE_WEIGHTS = [20, 25, 20, 15, 20]
FIRST_NAMES = ["Ana", "Bo", "Chen", "Dara", "Emil", "Fatima", "Guo", "Hana", "Ivan", "Jia", "Kofi", "Lena", "Mei", "Nils"]
LAST_NAMES = ["Li", "Smith", "Wang", "Garcia", "Novak", "Okafor", "Zhang", "Jensen", "Rossi", "Kim"]
SHOWCASE_CUSTOMER = "C-000001"
HOUR = 3600
DAY = 24 * HOUR

Draft = tuple[int, str, dict[str, Any]]  # (seconds since the first day's midnight, type, data)


def generate_events(customers: int, seed: int, start: date, end: date) -> Iterator[dict[str, Any]]:
    """Yield realistic sample events in the ledger's JSONL wire format, deterministic for a seed."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    rng = random.Random(seed)
    origin = datetime.combine(start, time.min, tzinfo=UTC)
    horizon = ((end - start).days + 1) * DAY - 1  # the last second of end
    counter = 0
    for number in range(1, customers + 1):
        key = f"C-{number:06d}"
        # Stories run past the horizon and are cut there; as every event comes after
        # what it refers to, the cut keeps orders, complaints and surveys consistent.
        # Survey sendings draw from a generator of their own, so that they leave every other figure as it was.
        sendings = random.Random(f"{seed}-{key}")
        drafts = [draft for draft in _customer_story(rng, sendings, seed, key, horizon) if draft[0] <= horizon]
        drafts.sort(key=itemgetter(0))  # stable: same-second events keep their causal order
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


def _customer_story(rng: random.Random, sendings: random.Random, seed: int, key: str, horizon: int) -> list[Draft]:
    # The demo's customer shows every feature: a loyal buyer from early on, with a complaint and a survey.
    showcase = key == SHOWCASE_CUSTOMER
    lifecycle = "loyal" if showcase else rng.choices(LIFECYCLES, LIFECYCLE_WEIGHTS)[0]
    # Customers keep arriving until the end of the period, fewer as the shop matures: the density of
    # signups falls linearly from 1.5 to 0.5 times the average (inverse CDF of a uniform draw).
    share = 1.5 - math.sqrt(2.25 - 2 * rng.random())
    signup = _daytime(rng, int(share * (horizon // DAY) / (10 if showcase else 1)))
    drafts: list[Draft] = []
    # About 1 in 20 buyers came from the old shop system with orders but no details.
    if showcase or lifecycle == "prospect" or rng.random() < 0.95:
        details = _details(rng, key)
        drafts.append((signup, "customer_registered", details))
        shop = lifecycle != "prospect" and sum(map(ord, key)) % 4 == 0  # a quarter of buyers link their e-mail address
        drafts += [(signup, "identifier_linked", {"kind": "email", "value": details["email"]})] if shop else []
        drafts += consent_drafts(random.Random(f"{seed}-{key}-consent"), signup, horizon)
        if rng.random() < 0.15:
            moved, changes = signup + rng.randrange(DAY, 600 * DAY), _changes(rng, key)
            drafts.append((moved, "customer_updated", changes))
            if shop and "email" in changes:  # the shop moves its link to the new address
                drafts.append((moved, "identifier_unlinked", {"kind": "email", "value": details["email"]}))
                drafts.append((moved, "identifier_linked", {"kind": "email", "value": changes["email"]}))
    purchase_times = _purchase_times(rng, lifecycle, signup, horizon)
    currency = rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0]
    grievance = 0  # grows with every bad complaint experience and lowers later survey scores
    for index, moment in enumerate(purchase_times, start=1):
        order_id = f"{key}-O{index}"
        cents = _purchase(rng, drafts, moment, order_id, currency)
        if cents and rng.random() < 0.07:
            _refunds(rng, drafts, moment, order_id, currency, cents)
        if (showcase and index == 2) or rng.random() < 0.09:
            complaint_id = f"{key}-K{index}"
            closed, hurt = _complaint(rng, drafts, complaint_id, moment + rng.randrange(HOUR, 10 * DAY))
            grievance += hurt
            # The survey after a complaint goes out within the hour of closing it; most are answered.
            sent = closed + sendings.randrange(1, HOUR)
            if showcase or rng.random() < 0.6:
                answer = _survey(rng, f"{key}-S{index}", closed + rng.randrange(HOUR, 5 * DAY), grievance, complaint_id)
                drafts += [_sent(sent, answer[2]), answer]
            elif sendings.random() < 0.8:
                drafts.append(_sent(sent, _unanswered(sendings, f"{key}-S{index}", complaint_id)))
        elif rng.random() < 0.25:
            answer = _survey(rng, f"{key}-S{index}", moment + rng.randrange(DAY, 15 * DAY), grievance, order_id)
            drafts += [_sent(moment + sendings.randrange(HOUR, DAY), answer[2]), answer]
        elif sendings.random() < 0.4:
            # Sent the day after the order and never answered: the response rate is well under one.
            drafts.append(_sent(moment + sendings.randrange(HOUR, DAY), _unanswered(sendings, f"{key}-S{index}", order_id)))
    # Contacts cluster in the customer's active time, so fading customers also fall silent.
    active_until = (purchase_times[-1] if purchase_times else signup) + 90 * DAY
    for _ in range(rng.randrange(0, 6)):
        drafts.append((rng.randrange(signup, active_until), "contact", _contact(rng)))
    return drafts


def _daytime(rng: random.Random, day: int) -> int:
    """Return a moment on that day when people are awake (07:00 to 23:00 UTC)."""
    return day * DAY + rng.randrange(7 * HOUR, 23 * HOUR)


def _purchase_times(rng: random.Random, lifecycle: str, signup: int, horizon: int) -> list[int]:
    if lifecycle == "prospect":
        return []
    first = signup + rng.randrange(0, 30 * DAY)
    if lifecycle == "one_time":
        return [first]
    if lifecycle == "growing":  # ever shorter gaps
        gaps = [rng.randrange(gap * DAY // 2, gap * DAY) for gap in (150, 110, 80, 60, 45, 35)[: rng.randrange(1, 7)]]
    elif lifecycle == "loyal":  # steady for years
        gaps = [rng.randrange(45 * DAY, 120 * DAY) for _ in range(40)]
    else:  # fading: a few regular purchases, then nothing for a long time
        gaps = [rng.randrange(25 * DAY, 60 * DAY) for _ in range(rng.randrange(2, 6))]
    times = [first]
    for gap in gaps:
        times.append(_daytime(rng, (times[-1] + gap) // DAY))
    if lifecycle == "fading":
        times = [t for t in times if t < horizon - 365 * DAY] or times[:1]
    return [t for t in times if t <= horizon]


def _purchase(rng: random.Random, drafts: list[Draft], moment: int, order_id: str, currency: str) -> int:
    """Append a purchase and return its amount in cents."""
    category = rng.choice(list(CATEGORIES))
    prefix, low, high = CATEGORIES[category]
    quantity = rng.choices([1, 2, 3, 6], [70, 18, 8, 4])[0]
    cents = 0 if rng.random() < 0.02 else rng.randrange(low * 100, high * 100) * quantity  # 2 %: free samples
    data = {
        "order_id": order_id,
        "currency": currency,
        "amount": _money(cents),
        "quantity": quantity,
        "sku": f"{prefix}-{rng.randrange(1, 40):03d}",
        "category": category,
        "channel": rng.choices(PURCHASE_CHANNELS, PURCHASE_CHANNEL_WEIGHTS)[0],
    }
    drafts.append((moment, "purchase", data))
    return cents


def _refunds(rng: random.Random, drafts: list[Draft], bought: int, order_id: str, currency: str, cents: int) -> None:
    """Append a full refund, or one or two partial ones that together stay below the order's amount."""
    moment = bought + rng.randrange(2 * DAY, 20 * DAY)
    parts = [cents] if rng.random() < 0.5 else [cents // 2, cents // 4][: rng.randrange(1, 3)]
    for part in filter(None, parts):
        data = {
            "order_id": order_id,
            "amount": _money(part),
            "reason": rng.choice(["damaged", "late", "wrong item", "changed mind"]),
        }
        if rng.random() < 0.5:  # optional on the wire; the ledger fills it in from the order
            data["currency"] = currency
        drafts.append((moment, "refund", data))
        moment += rng.randrange(DAY, 10 * DAY)


def _complaint(rng: random.Random, drafts: list[Draft], complaint_id: str, filed: int) -> tuple[int, int]:
    """Append a complaint's life; return when it last changed and how much it hurt (1 fast, 2 slow or reopened, 3 open)."""
    drafts.append(
        (
            filed,
            "complaint_filed",
            {
                "complaint_id": complaint_id,
                "severity": rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0],
                "channel": rng.choices(CHANNELS, CONTACT_CHANNEL_WEIGHTS)[0],
                "category": rng.choice(CONTACT_TOPICS),
                "description": "sample complaint",
            },
        )
    )
    responded = {"complaint_id": complaint_id, "message": "we are looking into it", "responder": f"agent-{rng.randrange(1, 30)}"}
    if rng.random() < 0.06:  # left open, perhaps after a first answer
        if rng.random() < 0.5:
            filed += rng.randrange(HOUR, 72 * HOUR)
            drafts.append((filed, "complaint_responded", responded))
        return filed, 3
    slow = rng.random() < 0.3
    reopened = rng.random() < 0.1
    moment = filed + (rng.randrange(30 * HOUR, 6 * DAY) if slow else rng.randrange(HOUR // 2, 8 * HOUR))
    for round_ in range(2 if reopened else 1):
        if round_:
            moment += rng.randrange(DAY, 10 * DAY)
            drafts.append((moment, "complaint_reopened", {"complaint_id": complaint_id, "reason": "not fixed"}))
            moment += rng.randrange(HOUR, 24 * HOUR)
        drafts.append((moment, "complaint_responded", responded))
        moment += rng.randrange(DAY, 12 * DAY) if slow else rng.randrange(2 * HOUR, 2 * DAY)
        drafts.append(
            (moment, "complaint_resolved", {"complaint_id": complaint_id, "resolution": "voucher", "responder": "support"})
        )
    return moment, 2 if slow or reopened else 1


def _survey(rng: random.Random, survey_id: str, moment: int, grievance: int, about: str) -> Draft:
    kind = rng.choices(["nps", "csat", "ces"], [50, 35, 15])[0]
    mood = min(1.0, max(0.0, rng.gauss(0.78, 0.15) - 0.12 * min(grievance, 4)))  # 0 furious, 1 delighted
    score = {"nps": round(mood * 10), "csat": 1 + round(mood * 4), "ces": 7 - round(mood * 6)}[kind]  # CES: low is easy
    data: dict[str, Any] = {
        "survey_id": survey_id,
        "kind": kind,
        "score": score,
        "channel": rng.choice(["email", "sms", "app"]),
        "about": about,
    }
    if rng.random() < 0.3:  # the longer ACSI questionnaire
        data["expectation"] = rng.randrange(5, 11)
        data["perceived_quality"] = max(1, min(10, round(mood * 10) + rng.randrange(-1, 2)))
        data["perceived_value"] = max(1, min(10, round(mood * 9) + rng.randrange(-1, 2)))
    return (moment, "survey_answered", data)


def _sent(moment: int, survey: dict[str, Any]) -> Draft:
    """Return the sending of a survey, before any answer to it (its answer's kind and channel when answered)."""
    return moment, "survey_sent", {k: survey[k] for k in ("survey_id", "kind", "channel", "about")}


def _unanswered(sendings: random.Random, survey_id: str, about: str) -> dict[str, Any]:
    kind = sendings.choices(["nps", "csat", "ces"], [50, 35, 15])[0]
    return {"survey_id": survey_id, "kind": kind, "channel": sendings.choice(["email", "sms", "app"]), "about": about}


def _contact(rng: random.Random) -> dict[str, Any]:
    return {
        "channel": rng.choices(CHANNELS, CONTACT_CHANNEL_WEIGHTS)[0],
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
        "phone": _phone(rng),
        "segment": rng.choices(["retail", "business"], [85, 15])[0],
    }


def _changes(rng: random.Random, key: str) -> dict[str, Any]:
    field = rng.choice(["email", "phone", "segment"])
    if field == "email":
        return {"email": f"{key}@mail.example.net".lower()}
    if field == "phone":
        return {"phone": _phone(rng)}
    return {"segment": rng.choice(["retail", "business"])}


def _phone(rng: random.Random) -> str:
    return f"+{rng.randrange(1, 99)} {rng.randrange(100, 999)} {rng.randrange(1000000, 9999999)}"


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# Reference rates the sample's currencies start from, in units per euro (the ECB's base).
SAMPLE_RATES = {"USD": 1.08, "GBP": 0.86}


def sample_rates_csv(start: date, end: date, seed: int = 1) -> str:
    """Return deterministic exchange rates in the ECB reference-rate layout, for the sample's currencies.

    Business days only, newest first, as the ECB publishes them; from a week before
    start, so that a purchase on the first (weekend) day has a rate on or before it.
    """
    rng = random.Random(seed)
    level = dict(SAMPLE_RATES)
    lines = []
    day = start - timedelta(days=7)
    while day <= end:
        if day.weekday() < 5:
            for currency in level:  # a random walk of about 0.3% a day, kept near its start
                level[currency] *= 1 + rng.gauss(0, 0.003) + (SAMPLE_RATES[currency] / level[currency] - 1) / 50
            lines.append(",".join([day.isoformat(), *(f"{level[c]:.4f}" for c in level)]))
        day += timedelta(days=1)
    return "\n".join(["Date," + ",".join(level), *reversed(lines)]) + "\n"
