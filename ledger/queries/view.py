"""What a query sees of the ledger: its as-of and known-at bounds, and the customer records under them.

The profiles table answers the present and "as of" the end of a UTC day; other
bounds, "known at" and a table never built replay the log (one stream for a
profile's own figures, the whole log once, stream by stream, for anything that
ranks customers). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import orjson
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from commands.errors import CustomerNotFoundError
from commands.records import stream_id_for
from commands.timeutil import end_of_day_utc
from ledger.config import LedgerConfig
from ledger.projection_runner import progress_bar
from ledger.queries.read_models import ReadModels, read_models
from ledger.storage.log_reader import read_streams, scan_streams
from ledger.storage.rates import load_rates
from ledger.storage.rfm_cache import Key, cached_thresholds
from ledger.storage.store import EventStore
from projections import lifecycle, rfm, spend
from projections.facts import Fact, effective, iso
from projections.profiles import CustomerRecord, build_record
from projections.rates import Converter


class View:
    """The as-of and known-at bounds of a query (None: now) and the day time-dependent figures are computed for."""

    def __init__(
        self,
        store: EventStore,
        config: LedgerConfig,
        as_of: datetime | None,
        known_at: datetime | None,
        currency: str | None = None,
    ):
        self.store = store
        self.config = config
        self.as_of = as_of
        self.known_at = known_at
        moment = as_of or known_at or datetime.now(UTC)
        self.on: date = moment.astimezone(UTC).date()
        # The reporting currency: every converted figure is in it (default the base currency).
        self.base = currency or config.ledger.currency
        self._converter: tuple[Converter, str] | None = None

    @property
    def convert(self) -> Converter:
        """Return the converter into the reporting currency, with the rates known at the view's known-at bound."""
        return self._rates()[0]

    def _rates(self) -> tuple[Converter, str]:
        if self._converter is None:
            with self.store.engine.connect() as connection:
                table, version = load_rates(self.store, connection, self.config.ledger.currency, known_at=self.known_at)
            self._converter = table.converter(self.base), version
        return self._converter

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

    def records(self, *, progress: bool = False) -> tuple[Iterator[CustomerRecord], int]:
        """Return the record of every customer this view sees, and how many events of the log the records leave out.

        Only the purchase days are cut at the as-of day. A profiles table never built is
        replayed instead: the records are complete, and the count is the whole log, which
        the operator has yet to project.
        """
        if not self.days_from_tables:
            return self._replayed_records(progress), 0
        with self.store.engine.connect() as connection:
            models = read_models(self.store, connection, ["profiles"])
        if not models.built:
            return self._replayed_records(progress), models.head
        return self._stored_records(models.tables("profiles")["customers"]), models.behind

    def _stored_records(self, table: Table) -> Iterator[CustomerRecord]:
        with self.store.engine.connect() as connection, connection.begin():
            yield from self._rows(connection, table)

    def _rows(self, connection: Connection, table: Table) -> Iterator[CustomerRecord]:
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
        store = self.store
        head = store.max_position()
        with store.scan_connection() as connection, progress_bar(head, "replay", progress) as bar:
            for customer, facts in scan_streams(store, connection, head):
                bar.update(len(facts))
                yield customer, effective(facts, as_of=self.as_of, known_at=self.known_at)

    def record(self, customer: str) -> CustomerRecord:
        """Return one customer's record, or raise if unknown.

        From the profiles table when it is current; otherwise (bounds, a table behind the
        log or never built) folded from the customer's stream, so that it is always current.
        """
        store = self.store
        with store.engine.connect() as connection:
            if not self.replays:
                models = read_models(store, connection, ["profiles"])
                if models.built and not models.behind:
                    table = models.tables("profiles")["customers"]
                    row = connection.execute(select(table).where(table.c.customer == customer)).first()
                    if row is None:
                        raise CustomerNotFoundError(customer)
                    return CustomerRecord.from_row(row)
            streams = read_streams(store, connection, [store.driver_uuid(stream_id_for(customer))])
        if not streams:
            raise CustomerNotFoundError(customer)
        (key, facts), *_ = streams.values()
        view = effective(facts, as_of=self.as_of, known_at=self.known_at)
        if not view:
            raise CustomerNotFoundError(f"{customer} (nothing occurred or was known by then)")
        return build_record(key, view)

    def purchase_history(self, record: CustomerRecord) -> lifecycle.PurchaseHistory:
        """Return the customer's purchase days and converted net spend, indexed for stages on any day."""
        spent, refunds = spend.spend_history(record.days, self.convert)
        return lifecycle.PurchaseHistory(purchase_days(record), spent, self.config.lifecycle, refunds)

    def lifecycle(self, record: CustomerRecord) -> lifecycle.Lifecycle:
        """Return the customer's stage on the view's day."""
        return self.purchase_history(record).evaluate(self.on)

    def rfm_input(self, record: CustomerRecord) -> tuple[int, int, int] | None:
        """Return (recency days, purchase days, converted net spend) in the RFM window, None without a purchase."""
        return spend.rfm_input(record.days, self.on, self.convert)

    def thresholds(self) -> tuple[rfm.Thresholds | None, int]:
        """Return the RFM thresholds of this view's day, and how many events of the log the ranking leaves out.

        From the profiles table when it answers exactly (kept per log position: ``rfm_cache``);
        otherwise ranked from a replay of the whole log (complete, but a table never built
        still counts the whole log, as ``records`` does).
        """
        behind = 0
        if self.days_from_tables:
            with self.snapshot() as connection:
                models = read_models(self.store, connection, ["profiles"])
                if models.built:
                    key = self.thresholds_key(models)
                    return cached_thresholds(self.store, connection, key, lambda: self.rank(connection, models)), models.behind
                behind = models.head
        return rfm.Thresholds.of([v for r in self._replayed_records(False) if (v := self.rfm_input(r)) is not None]), behind

    def thresholds_key(self, models: ReadModels) -> Key:
        """Return the key the thresholds of this view's day are kept under, for the profiles table models read."""
        generation = models.generations["profiles"]
        assert generation is not None
        return generation, models.positions["profiles"], self.on, self.money_key()

    def money_key(self) -> str:
        """Return the reporting currency with the rates' version: an import makes kept figures compute afresh."""
        return f"{self.base}@{self._rates()[1]}"

    def rank(self, connection: Connection, models: ReadModels) -> rfm.Thresholds | None:
        """Return the RFM thresholds of this view's day, from the purchase days of every row of the profiles table."""
        # Only the days column, with driver SQL: decoding whole records made ranking four times slower.
        table = models.tables("profiles")["customers"]
        bound = "" if self.as_of is None else f" WHERE first_seen <= {self.store.mark}"
        parameters = () if self.as_of is None else (iso(self.as_of),)
        rows = connection.exec_driver_sql(f"SELECT days FROM {table.name}{bound}", parameters)
        convert, on = self.convert, self.on
        found = (spend.rfm_input(orjson.loads(days), on, convert) for (days,) in rows)
        return rfm.Thresholds.of([v for v in found if v is not None])

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """Open a read transaction that sees one state of the database throughout (a position and the rows at it)."""
        connection = self.store.engine.connect()
        if self.store.is_postgres:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection, connection.begin():
            yield connection


def purchase_days(record: CustomerRecord) -> list[date]:
    """Return the record's purchase days as dates."""
    return [date.fromisoformat(d) for d in record.purchase_days]
