"""What the ledger's use cases return: plain typed values, never dicts or printed text.

Renderers (``ledger.output``) turn any of these into a text table, JSON lines or
CSV; field names are the stable names of the JSON output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from commands.errors import InvalidEventError
from commands.records import RecordedEvent

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class QueryResult(Generic[Row]):
    """The rows a list query found, and how many events of the log the read models it used had not applied yet.

    Queries never write: a read model behind the log answers with what it holds, and
    its rows leave out those events. One never built is replayed from the log instead:
    the rows are complete, and behind counts the whole log, for the operator to build it.
    """

    rows: list[Row]
    behind: int = 0
    restricted: int = 0  # customers left out because their processing is restricted (ledger restrict)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Row:
        return self.rows[index]


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one append: where the event is, and whether it was already there."""

    event_id: str
    position: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Rejection:
    """An event of a batch that was not stored, and why."""

    index: int
    event_id: str
    error: InvalidEventError


@dataclass(slots=True)
class AppendResult:
    """What became of a batch: stored events, skipped duplicates, rejected events."""

    stored: list[RecordedEvent] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One rejected line of an import and why, printed as ``FILE:LINE: field: reason``."""

    line: int
    message: str


@dataclass(slots=True)
class ImportSummary:
    """Counts of an import, with each rejected line."""

    stored: int = 0
    duplicates: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    last_line: int = 0  # the last line of the last batch committed
    stopped_early: bool = False  # stopped reading at the rejected lines allowed (max_errors)

    @property
    def rejected(self) -> int:
        """Return how many lines were not stored because they were invalid."""
        return len(self.problems)


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    """Where one projection stands against the log."""

    name: str
    code_version: int
    stored_version: int | None
    generation: int | None
    position: int
    behind: int
    advanced_at: str | None  # when its position last moved (run, rebuild or a follower applied events)
    updated_at: str | None
    state: str


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """A finished rebuild: which projections, how many events scanned, how long it took."""

    projections: list[str]
    events: int
    seconds: float


@dataclass(frozen=True, slots=True)
class StageChange:
    """The day a customer entered a lifecycle stage."""

    day: str
    stage: str


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """One customer's profile on a day: contacts, money per currency, complaints, satisfaction, stage and value."""

    customer: str
    as_of: str
    segment: str | None
    first_seen: str | None
    last_seen: str | None
    contacts: int
    contacts_by_channel: dict[str, int]
    last_contact: str | None
    purchases: int
    purchase_days: int
    first_purchase: str | None
    last_purchase: str | None
    # The reporting currency and the net spend of every purchase converted into it (the rate of each purchase's day).
    currency: str
    total_spend: str
    spend: dict[str, str]
    refunds: dict[str, str]
    average_order_value: dict[str, str]
    complaints: int
    open_complaints: int
    last_nps: int | None
    average_csat: float | None
    stage: str
    churn_risk: bool
    stage_history: list[StageChange]
    rfm: str | None
    value_segment: str | None
    vip: bool
    # Events of the log the ranking behind the RFM scores left out (the profiles read model's lag;
    # the whole log when it was never built). The customer's own figures are always current.
    behind: int = 0


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """One line of the customer list: stage, churn-risk flag, RFM scores and value segment."""

    customer: str
    stage: str
    churn_risk: bool
    purchase_days: int
    recency_days: int | None
    spend_365: str | None
    rfm: str | None
    value_segment: str | None
    vip: bool


@dataclass(frozen=True, slots=True)
class ComplaintSummary:
    """One complaint with its age, times and SLA outcomes on the as-of moment."""

    customer: str
    complaint_id: str
    severity: str
    channel: str | None
    state: str
    filed_at: str
    age_hours: float
    first_response_hours: float | None
    resolution_hours: float | None
    response_met: bool | None
    resolution_met: bool | None
    reopened: int
    overdue: bool


@dataclass(frozen=True, slots=True)
class ClvRow:
    """One customer's CLV summary (lifetimes / pymc-marketing column names), values as decimal text."""

    customer: str
    frequency: str
    recency: str
    T: str
    monetary_value: str


@dataclass(frozen=True, slots=True)
class TrendRow:
    """Satisfaction, complaint and buyer figures of one period (and one channel or segment when split).

    Each survey figure has its answers, 95% margin of error, a small-sample flag and
    whether its change from the period before is significant (None: not tested).
    """

    period: str
    nps: float | None
    nps_answers: int
    nps_margin: float | None
    nps_small_sample: bool
    nps_change: float | None
    nps_change_significant: bool | None
    csat: float | None
    csat_answers: int
    csat_margin: float | None
    csat_small_sample: bool
    csat_change: float | None
    csat_change_significant: bool | None
    ces: float | None
    ces_answers: int
    ces_margin: float | None
    ces_small_sample: bool
    ces_change: float | None
    ces_change_significant: bool | None
    surveys_sent: int
    response_rate: float | None
    expectation: float | None
    perceived_quality: float | None
    perceived_value: float | None
    quality_minus_expectation: float | None
    complaints_filed: int
    complaints_resolved: int
    complaints_per_1000_orders: float | None
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    orders: int
    revenue: str
    currency: str
    buyers: int
    repeat_purchase_rate: float | None
    churn_rate: float | None
    channel: str | None = None
    segment: str | None = None


@dataclass(frozen=True, slots=True)
class RatesImport:
    """What ``rates import`` stored: rates (one per currency and day), their currencies and days, against the base."""

    rates: int
    currencies: list[str]
    first_day: str | None
    last_day: str | None
    base: str
