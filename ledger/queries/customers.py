"""Queries about customers: profile, the filtered customer list and the CLV export.

Lifecycle and RFM are computed here, for the date asked, from each customer's
purchase days (``View``). A profile's RFM scores need the ranking of every
customer: its thresholds are kept per log position and day (``rfm_cache``);
the operator commands keep today's (``keep_todays_thresholds``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from commands.currencies import MINOR_UNITS
from ledger.config import LedgerConfig
from ledger.privacy import states as privacy_states
from ledger.queries.read_models import read_models
from ledger.queries.view import View
from ledger.results import ClvRow, CustomerProfile, CustomerSummary, QueryResult, StageChange
from ledger.storage.rfm_cache import keep_thresholds, kept_thresholds
from ledger.storage.store import EventStore
from projections import rfm


def money(minor: int, currency: str) -> str:
    """Format minor units as a decimal amount."""
    return f"{Decimal(minor).scaleb(-MINOR_UNITS[currency]):f}"


def profile(
    store: EventStore,
    config: LedgerConfig,
    customer: str,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    currency: str | None = None,
) -> CustomerProfile:
    """Return a customer's profile as of a moment (default now), as known at a moment (default now)."""
    view = View(store, config, as_of, known_at, currency)
    record = view.record(customer)
    stages = view.purchase_history(record)
    stage = stages.evaluate(view.on)
    rfm_input = view.rfm_input(record)
    thresholds, behind = (None, 0) if rfm_input is None else view.thresholds()
    score = None if rfm_input is None else rfm.LAPSED if thresholds is None else thresholds.score(*rfm_input)
    convert = view.convert
    total = sum(convert.minor(entry[2] - entry[3], entry[1], entry[0]) for entry in record.days)
    first_seen = date.fromisoformat(record.first_seen[:10]) if record.first_seen else view.on
    return CustomerProfile(
        customer=record.customer,
        as_of=view.on.isoformat(),
        segment=record.segment,
        first_seen=record.first_seen,
        last_seen=record.last_seen,
        contacts=record.contacts,
        contacts_by_channel=dict(sorted(record.channels.items())),
        last_contact=record.last_contact,
        purchases=record.purchases,
        purchase_days=len(record.purchase_days),
        first_purchase=record.first_purchase,
        last_purchase=record.last_purchase,
        currency=view.base,
        total_spend=money(total, view.base),
        spend={c: money(paid - refunded, c) for c, (_, paid, refunded) in sorted(record.money.items())},
        refunds={c: money(refunded, c) for c, (_, _, refunded) in sorted(record.money.items())},
        average_order_value={
            c: f"{Decimal(paid).scaleb(-MINOR_UNITS[c]) / n:.{MINOR_UNITS[c]}f}"
            for c, (n, paid, _) in sorted(record.money.items())
            if n
        },
        complaints=record.complaints,
        open_complaints=record.open_complaints,
        last_nps=record.last_nps,
        average_csat=record.csat_sum / record.csat_count if record.csat_count else None,
        stage=stage.stage,
        churn_risk=stage.churn_risk,
        stage_history=[StageChange(d.isoformat(), s) for d, s in stages.history(first_seen, view.on)],
        rfm=None if score is None else f"{score.r}{score.f}{score.m}",
        value_segment=None if score is None else score.segment,
        vip=bool(score and score.vip),
        behind=behind,
    )


def customers(
    store: EventStore,
    config: LedgerConfig,
    *,
    stage: str | None = None,
    churn_risk: bool = False,
    segment: str | None = None,
    vip: bool = False,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    currency: str | None = None,
    consent: str | None = None,
    progress: bool = False,
) -> QueryResult[CustomerSummary]:
    """Return customers with their stage, churn-risk flag, RFM scores and value segment, filtered.

    Restricted customers are left out (and counted); with consent, only those whose consent
    to that purpose stands granted as of the date are listed.
    """
    view = View(store, config, as_of, known_at, currency)
    seen, behind = view.records(progress=progress)
    records, restricted = privacy_states.without_restricted(store, seen)
    if consent is not None:
        allowed = privacy_states.may_contact(store, consent, as_of, known_at)
        records = [record for record in records if record.customer in allowed]
    summaries = []
    inputs: dict[str, tuple[int, int, int]] = {}
    for record in records:
        found = view.rfm_input(record)
        if found is not None:
            inputs[record.customer] = found
        summaries.append((record.customer, view.lifecycle(record), found))
    scores = rfm.score_all(inputs)
    rows = []
    for customer, life, found in sorted(summaries, key=lambda s: s[0]):
        score = scores.get(customer)
        if (stage and life.stage != stage) or (churn_risk and not life.churn_risk) or (vip and not (score and score.vip)):
            continue
        if segment and (score is None or score.segment != segment):
            continue
        rows.append(
            CustomerSummary(
                customer=customer,
                stage=life.stage,
                churn_risk=life.churn_risk,
                purchase_days=life.purchase_days,
                recency_days=life.recency_days,
                spend_365=None if found is None else money(found[2], view.base),
                rfm=None if score is None else f"{score.r}{score.f}{score.m}",
                value_segment=None if score is None else score.segment,
                vip=bool(score and score.vip),
            )
        )
    return QueryResult(rows, behind, restricted)


def export_rfm(
    store: EventStore,
    config: LedgerConfig,
    *,
    as_of: datetime | None,
    unit: Literal["days", "weeks"] = "days",
    known_at: datetime | None = None,
    currency: str | None = None,
    progress: bool = False,
) -> Iterator[ClvRow]:
    """Yield the CLV summary per customer with a purchase by as_of (default now; values as decimal text)."""
    view = View(store, config, as_of, known_at, currency)
    places = MINOR_UNITS[view.base]
    convert = view.convert
    records, _ = view.records(progress=progress)
    for record in privacy_states.skip_restricted(store, records):
        totals: dict[str, int] = {}
        for d, cur, paid, _, purchases, _ in record.days:
            if purchases:
                totals[d] = totals.get(d, 0) + (paid if cur == view.base else convert.minor(paid, cur, d))
        summary = rfm.clv_summary([(date.fromisoformat(d), t) for d, t in sorted(totals.items())], view.on, places, unit)
        if summary is not None:
            yield ClvRow(
                customer=record.customer,
                frequency=rfm.decimal_text(summary.frequency),
                recency=rfm.decimal_text(summary.recency),
                T=rfm.decimal_text(summary.t),
                monetary_value=rfm.decimal_text(summary.monetary_value),
            )


def keep_todays_thresholds(store: EventStore, config: LedgerConfig) -> None:
    """Store today's RFM thresholds for the profiles table as it stands, unless kept already (operator commands).

    A fresh process's first profile then reads them instead of ranking every customer.
    """
    view = View(store, config, None, None)
    with view.snapshot() as connection:
        models = read_models(store, connection, ["profiles"])
        if not models.built:
            return
        key = view.thresholds_key(models)
        if kept_thresholds(store, connection, key) is not None:
            return
        thresholds = view.rank(connection, models)
    keep_thresholds(store, key, thresholds)
