"""Customer profiles: one row per customer with the time-independent facts queries need.

Purchase days keep their per-currency totals in the row (``days``), so that the
time-dependent figures (lifecycle stage, churn risk, RFM) are computed at query
time for any as-of date without another table. A refund counts against its
order's purchase day (net spend in a window is the window's purchases minus the
refunds of those purchases); the day also lists when each refund was made, so
that a figure as of an earlier day leaves out refunds made after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text

from commands.currencies import MINOR_UNITS
from projections import purchase_rows
from projections.facts import Fact

NAME = "profiles"
VERSION = 3  # 3: purchase days and amounts as rows (projections.purchase_rows)


def define_tables(metadata: MetaData, prefix: str) -> dict[str, Table]:
    """Define this projection's tables with a generation prefix."""
    return {
        **purchase_rows.define_tables(metadata, prefix),
        "customers": Table(
            f"{prefix}customers",
            metadata,
            Column("customer", Text, primary_key=True),
            Column("segment", Text),
            Column("first_seen", Text),
            Column("last_seen", Text),
            Column("contacts", Integer, nullable=False),
            Column("last_contact", Text),
            Column("purchases", Integer, nullable=False),
            Column("first_purchase", Text),
            Column("last_purchase", Text),
            Column("complaints", Integer, nullable=False),
            Column("open_complaints", Integer, nullable=False),
            Column("last_nps", Integer),
            Column("last_nps_at", Text),
            Column("csat_sum", BigInteger, nullable=False),
            Column("csat_count", Integer, nullable=False),
            # JSON: {channel: contacts}, {currency: [purchases, paid_minor, refunded_minor]},
            # and [[day, currency, paid_minor, refunded_minor, purchases, [[refund_day, minor], ...]], ...]
            # sorted by day, refunds counted on their order's purchase day.
            Column("channels", Text, nullable=False),
            Column("money", Text, nullable=False),
            Column("days", Text, nullable=False),
        ),
    }


@dataclass(slots=True)
class CustomerRecord:
    """A customer's profile facts (amounts in minor units of their currency; times as fixed-width UTC text)."""

    customer: str
    segment: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    contacts: int = 0
    last_contact: str | None = None
    purchases: int = 0
    first_purchase: str | None = None
    last_purchase: str | None = None
    complaints: int = 0
    open_complaints: int = 0
    last_nps: int | None = None
    last_nps_at: str | None = None
    csat_sum: int = 0
    csat_count: int = 0
    channels: dict[str, int] = field(default_factory=dict)
    money: dict[str, list[int]] = field(default_factory=dict)
    days: list[list[Any]] = field(default_factory=list)

    @property
    def purchase_days(self) -> list[str]:
        """Return the distinct UTC days with at least one purchase, in order."""
        return sorted({entry[0] for entry in self.days if entry[4]})

    def to_row(self) -> dict[str, Any]:
        """Return the table row."""
        return {
            "customer": self.customer,
            "segment": self.segment,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "contacts": self.contacts,
            "last_contact": self.last_contact,
            "purchases": self.purchases,
            "first_purchase": self.first_purchase,
            "last_purchase": self.last_purchase,
            "complaints": self.complaints,
            "open_complaints": self.open_complaints,
            "last_nps": self.last_nps,
            "last_nps_at": self.last_nps_at,
            "csat_sum": self.csat_sum,
            "csat_count": self.csat_count,
            "channels": orjson.dumps(self.channels).decode(),
            "money": orjson.dumps(self.money).decode(),
            "days": orjson.dumps(self.days).decode(),
        }

    @classmethod
    def from_row(cls, row: Any) -> CustomerRecord:
        """Rebuild the record from its table row."""
        m = row._mapping
        record = cls(**{k: m[k] for k in ("customer", "segment", "contacts", "purchases", "complaints", "open_complaints")})
        for name in ("first_seen", "last_seen", "last_contact", "first_purchase", "last_purchase", "last_nps_at"):
            setattr(record, name, m[name])
        record.last_nps, record.csat_sum, record.csat_count = m["last_nps"], m["csat_sum"], m["csat_count"]
        record.channels, record.money, record.days = (orjson.loads(m[k]) for k in ("channels", "money", "days"))
        return record


def minor_units(amount: str | int | float, currency: str) -> int:
    """Convert a stored decimal amount to integer minor units of its currency."""
    places = MINOR_UNITS[currency]
    if isinstance(amount, str):
        # The ledger stores amounts with exactly the currency's places ("10.00"): read the digits
        # without a Decimal, which was a large share of folding a stream into its profile.
        whole, point, fraction = amount.partition(".")
        if whole.isdigit() and len(fraction) == places and (fraction.isdigit() or not (point or places)):
            return int(whole + fraction)
    return int(Decimal(str(amount)).scaleb(places))


def build_record(customer: str, facts: list[Fact]) -> CustomerRecord:
    """Fold a customer's effective facts (stream order) into a profile record."""
    r = CustomerRecord(customer)
    order_currency: dict[str, str] = {}
    order_day: dict[str, str] = {}
    days: dict[tuple[str, str], list[Any]] = {}
    open_ids: set[str] = set()
    for fact in facts:
        kind, data, when = fact.type, fact.data, fact.occurred
        if r.first_seen is None or when < r.first_seen:
            r.first_seen = when
        if r.last_seen is None or when > r.last_seen:
            r.last_seen = when
        if kind == "contact":
            r.contacts += 1
            r.channels[data["channel"]] = r.channels.get(data["channel"], 0) + 1
            if r.last_contact is None or when > r.last_contact:
                r.last_contact = when
        elif kind == "purchase":
            currency = data["currency"]
            order_currency.setdefault(data["order_id"], currency)
            order_day.setdefault(data["order_id"], when[:10])
            paid = minor_units(data["amount"], currency)
            r.purchases += 1
            totals = r.money.setdefault(currency, [0, 0, 0])
            totals[0] += 1
            totals[1] += paid
            day = days.setdefault((when[:10], currency), [0, 0, 0, []])
            day[0] += paid
            day[2] += 1
            if r.first_purchase is None or when < r.first_purchase:
                r.first_purchase = when
            if r.last_purchase is None or when > r.last_purchase:
                r.last_purchase = when
        elif kind == "refund":
            # A refund is in its order's currency (the write side checks it); it counts on its order's
            # purchase day (its own day when that purchase is not in the stream, e.g. voided).
            currency = data.get("currency") or order_currency.get(data["order_id"], "")
            if currency in MINOR_UNITS:
                refunded = minor_units(data["amount"], currency)
                r.money.setdefault(currency, [0, 0, 0])[2] += refunded
                day = days.setdefault((order_day.get(data["order_id"], when[:10]), currency), [0, 0, 0, []])
                day[1] += refunded
                day[3].append([when[:10], refunded])
        elif kind == "complaint_filed":
            r.complaints += 1
            open_ids.add(data["complaint_id"])
        elif kind == "complaint_resolved":
            open_ids.discard(data["complaint_id"])
        elif kind == "complaint_reopened":
            open_ids.add(data["complaint_id"])
        elif kind == "survey_answered":
            if data["kind"] == "nps" and (r.last_nps_at is None or when >= r.last_nps_at):
                r.last_nps, r.last_nps_at = data["score"], when
            elif data["kind"] == "csat":
                r.csat_sum += data["score"]
                r.csat_count += 1
        elif kind in ("customer_registered", "customer_updated") and "segment" in data:
            r.segment = data["segment"]
    r.open_complaints = len(open_ids)
    r.days = [[day, currency, *totals] for (day, currency), totals in sorted(days.items())]
    return r


def rows(customer: str, facts: list[Fact]) -> dict[str, list[dict[str, Any]]]:
    """Return this projection's rows for one customer."""
    record = build_record(customer, facts)
    return {"customers": [record.to_row()], **purchase_rows.purchase_rows(customer, record.segment, record.days)}
