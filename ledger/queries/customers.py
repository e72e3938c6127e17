"""Queries about customers: profile, the filtered customer list and the CLV export.

Lifecycle and RFM are computed here, for the date asked, from each customer's
purchase days. The profiles table answers the present and "as of" the end of a
UTC day; other bounds and "known at" replay (one stream for a profile's own
figures, the whole log once, stream by stream, for anything that ranks customers).
A profile's RFM scores need the ranking of every customer: its thresholds are
kept per log position and day (``rfm_cache``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from commands.currencies import MINOR_UNITS
from commands.errors import CustomerNotFoundError
from commands.records import stream_id_for
from commands.timeutil import end_of_day_utc
from ledger.projection_operations import current_generations, open_read_models
from ledger.projection_runner import progress_bar
from ledger.storage.log_reader import read_streams, scan_streams
from ledger.storage.projection_state import ProjectionState
from ledger.storage.rfm_cache import cached_thresholds, create_cache_table
from projections import lifecycle, rfm
from projections.facts import Fact, effective, iso
from projections.profiles import CustomerRecord, build_record
from projections.registry import tables_for

if TYPE_CHECKING:
    from ledger.application import Ledger

Moment = datetime | date | str | None
TRAILING = timedelta(days=365)


class View:
    """What a query sees: the as-of and known-at bounds and the day time-dependent figures are computed for."""

    def __init__(self, ledger: Ledger, as_of: Moment, known_at: Moment):
        self.ledger = ledger
        self.as_of = None if as_of is None else ledger.upper_bound(as_of)
        self.known_at = None if known_at is None else ledger.upper_bound(known_at)
        moment = self.as_of or self.known_at or datetime.now(UTC)
        self.on: date = moment.astimezone(UTC).date()
        self.base = ledger.config.ledger.currency

    @property
    def replays(self) -> bool:
        """Tell whether the query must replay events instead of reading the tables."""
        return self.as_of is not None or self.known_at is not None

    @property
    def days_from_tables(self) -> bool:
        """Tell whether the purchase days in the profiles table answer this view exactly.

        They hold every purchase and refund known now (corrections applied) by UTC day,
        so they answer "as of" the end of a UTC day: the day-based figures (lifecycle,
        RFM, the CLV summary) cut them at that day. "Known at" needs a replay.
        """
        return self.known_at is None and (self.as_of is None or self.as_of == end_of_day_utc(self.on))

    def records(self, *, progress: bool = False) -> Iterator[CustomerRecord]:
        """Yield the record of every customer this view sees; only the purchase days are cut at the as-of day."""
        if self.days_from_tables:
            table = open_read_models(self.ledger, ["profiles"], progress=progress)["profiles"]["customers"]
            with self.ledger.store.engine.connect() as connection, connection.begin():
                yield from self._stored_records(connection, table)
            return
        yield from self._replayed_records(progress)

    def _stored_records(self, connection: Connection, table: Table) -> Iterator[CustomerRecord]:
        query = select(table)
        if self.as_of is not None:
            query = query.where(table.c.first_seen <= iso(self.as_of))
        for row in connection.execute(query):
            yield CustomerRecord.from_row(row)

    def _replayed_records(self, progress: bool) -> Iterator[CustomerRecord]:
        for customer, facts in self.replay(progress=progress):
            if facts:
                yield build_record(customer, facts)

    def replay(self, *, progress: bool = False) -> Iterator[tuple[str, list[Fact]]]:
        """Yield every customer's facts as this view sees them, streaming the log one stream at a time."""
        store = self.ledger.store
        head = store.max_position()
        with store.scan_connection() as connection, progress_bar(head, "replay", progress) as bar:
            for customer, facts in scan_streams(store, connection, head):
                bar.update(len(facts))
                yield customer, effective(facts, as_of=self.as_of, known_at=self.known_at)

    def record(self, customer: str) -> CustomerRecord:
        """Return one customer's record (replaying only that stream), or raise if unknown."""
        store = self.ledger.store
        if not self.replays:
            table = open_read_models(self.ledger, ["profiles"])["profiles"]["customers"]
            with store.engine.connect() as connection:
                row = connection.execute(select(table).where(table.c.customer == customer)).first()
            if row is None:
                raise CustomerNotFoundError(customer)
            return CustomerRecord.from_row(row)
        with store.engine.connect() as connection:
            streams = read_streams(store, connection, [store.driver_uuid(stream_id_for(customer))])
        if not streams:
            raise CustomerNotFoundError(customer)
        (key, facts), *_ = streams.values()
        view = effective(facts, as_of=self.as_of, known_at=self.known_at)
        if not view:
            raise CustomerNotFoundError(f"{customer} (nothing occurred or was known by then)")
        return build_record(key, view)

    def purchase_history(self, record: CustomerRecord) -> lifecycle.PurchaseHistory:
        """Return the customer's purchase days and base-currency spend, indexed for stages on any day."""
        return lifecycle.PurchaseHistory(purchase_days(record), self.spend(record), self.ledger.config.lifecycle)

    def lifecycle(self, record: CustomerRecord) -> lifecycle.Lifecycle:
        """Return the customer's stage on the view's day."""
        return self.purchase_history(record).evaluate(self.on)

    def spend(self, record: CustomerRecord) -> list[tuple[date, int]]:
        """Return (day, net spend) in the base currency's minor units."""
        return [(date.fromisoformat(d), paid - refunded) for d, cur, paid, refunded, _ in record.days if cur == self.base]

    def rfm_input(self, record: CustomerRecord) -> tuple[int, int, int] | None:
        """Return (recency days, purchase days and net base spend in the trailing 365 days), None without a purchase."""
        days = [d for d in purchase_days(record) if d <= self.on]
        if not days:
            return None
        since = self.on - TRAILING
        frequency = sum(1 for d in days if d > since)
        spend = sum(v for d, v in self.spend(record) if since < d <= self.on)
        return (self.on - days[-1]).days, frequency, spend

    def thresholds(self) -> rfm.Thresholds | None:
        """Return the RFM thresholds of this view's day: kept per log position when the tables answer exactly."""
        if not self.days_from_tables:
            return rfm.Thresholds.of([v for r in self.records() if (v := self.rfm_input(r)) is not None])
        store = self.ledger.store
        generation = current_generations(self.ledger, ["profiles"])["profiles"]
        table = tables_for("profiles", generation)["customers"]
        state = ProjectionState(store)
        create_cache_table(store)
        connection = store.engine.connect()
        if store.is_postgres:
            # One snapshot for the position and the rows the thresholds are computed from.
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection, connection.begin():
            position = state.position(connection, "profiles", generation)

            def compute() -> rfm.Thresholds | None:
                stored = self._stored_records(connection, table)
                return rfm.Thresholds.of([v for r in stored if (v := self.rfm_input(r)) is not None])

            return cached_thresholds(store, connection, (generation, position, self.on, self.base), compute)


def purchase_days(record: CustomerRecord) -> list[date]:
    """Return the record's purchase days as dates."""
    return [date.fromisoformat(d) for d in record.purchase_days]


def money(minor: int, currency: str) -> str:
    """Format minor units as a decimal amount."""
    return f"{Decimal(minor).scaleb(-MINOR_UNITS[currency]):f}"


def profile(ledger: Ledger, customer: str, *, as_of: Moment = None, known_at: Moment = None) -> dict[str, Any]:
    """Return a customer's profile as of a date (default now), as known at a time (default now)."""
    view = View(ledger, as_of, known_at)
    record = view.record(customer)
    stages = view.purchase_history(record)
    stage = stages.evaluate(view.on)
    rfm_input = view.rfm_input(record)
    thresholds = None if rfm_input is None else view.thresholds()
    score = None if thresholds is None or rfm_input is None else thresholds.score(*rfm_input)
    first_seen = date.fromisoformat(record.first_seen[:10]) if record.first_seen else view.on
    history = stages.history(first_seen, view.on)
    return {
        "customer": record.customer,
        "as_of": view.on.isoformat(),
        "segment": record.segment,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "contacts": record.contacts,
        "contacts_by_channel": dict(sorted(record.channels.items())),
        "last_contact": record.last_contact,
        "purchases": record.purchases,
        "purchase_days": len(record.purchase_days),
        "first_purchase": record.first_purchase,
        "last_purchase": record.last_purchase,
        "spend": {c: money(paid - refunded, c) for c, (_, paid, refunded) in sorted(record.money.items())},
        "refunds": {c: money(refunded, c) for c, (_, _, refunded) in sorted(record.money.items())},
        "average_order_value": {
            c: f"{Decimal(paid).scaleb(-MINOR_UNITS[c]) / n:.{MINOR_UNITS[c]}f}"
            for c, (n, paid, _) in sorted(record.money.items())
            if n
        },
        "complaints": record.complaints,
        "open_complaints": record.open_complaints,
        "last_nps": record.last_nps,
        "average_csat": record.csat_sum / record.csat_count if record.csat_count else None,
        "stage": stage.stage,
        "at_risk": stage.at_risk,
        "stage_history": [{"day": d.isoformat(), "stage": s} for d, s in history],
        "rfm": None if score is None else f"{score.r}{score.f}{score.m}",
        "value_segment": None if score is None else score.segment,
        "vip": bool(score and score.vip),
    }


def customers(
    ledger: Ledger,
    *,
    stage: str | None = None,
    at_risk: bool = False,
    segment: str | None = None,
    vip: bool = False,
    as_of: Moment = None,
    known_at: Moment = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Return customers with their stage, at-risk flag, RFM scores and value segment, filtered."""
    view = View(ledger, as_of, known_at)
    summaries = []
    inputs: dict[str, tuple[int, int, int]] = {}
    for record in view.records(progress=progress):
        found = view.rfm_input(record)
        if found is not None:
            inputs[record.customer] = found
        summaries.append((record.customer, view.lifecycle(record), found))
    scores = rfm.score_all(inputs)
    rows = []
    for customer, life, found in sorted(summaries, key=lambda s: s[0]):
        score = scores.get(customer)
        if (stage and life.stage != stage) or (at_risk and not life.at_risk) or (vip and not (score and score.vip)):
            continue
        if segment and (score is None or score.segment != segment):
            continue
        rows.append(
            {
                "customer": customer,
                "stage": life.stage,
                "at_risk": life.at_risk,
                "purchase_days": life.purchase_days,
                "recency_days": life.recency_days,
                "spend_365": None if found is None else money(found[2], view.base),
                "rfm": None if score is None else f"{score.r}{score.f}{score.m}",
                "value_segment": None if score is None else score.segment,
                "vip": bool(score and score.vip),
            }
        )
    return rows


def export_rfm(
    ledger: Ledger, *, as_of: Moment, unit: Literal["days", "weeks"] = "days", known_at: Moment = None, progress: bool = False
) -> Iterator[dict[str, str]]:
    """Yield the CLV summary per customer with a purchase by as_of (values as decimal text)."""
    view = View(ledger, as_of, known_at)
    places = MINOR_UNITS[view.base]
    for record in view.records(progress=progress):
        totals: dict[str, int] = {}
        for d, cur, paid, _, purchases in record.days:
            if purchases:
                totals[d] = totals.get(d, 0) + (paid if cur == view.base else 0)
        summary = rfm.clv_summary([(date.fromisoformat(d), t) for d, t in sorted(totals.items())], view.on, places, unit)
        if summary is not None:
            yield {
                "customer": record.customer,
                "frequency": rfm.decimal_text(summary.frequency),
                "recency": rfm.decimal_text(summary.recency),
                "T": rfm.decimal_text(summary.t),
                "monetary_value": rfm.decimal_text(summary.monetary_value),
            }
