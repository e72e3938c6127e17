"""Request and response bodies of the API, built from the Ledger's results (dataclasses are used as they are)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from http_api.problems import FieldProblem
from ledger.results import ComplaintSummary, CustomerSummary, TrendRow


class EventIn(BaseModel):
    """One event as POST /v1/events takes it: the import's wire format (``actor`` comes from the API key)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "purchase",
                    "customer": "C-1",
                    "occurred_at": "2024-05-01T10:00:00Z",
                    "event_id": "shop-order-O-1",
                    "data": {"order_id": "O-1", "amount": "19.90", "currency": "EUR"},
                }
            ]
        }
    )

    type: str = Field(min_length=1, max_length=200, examples=["purchase"])
    customer: (
        Annotated[str, Field(min_length=1, max_length=200)] | Annotated[dict[str, str], Field(min_length=1, max_length=1)]
    ) = Field(
        examples=["C-1", {"email": "ann@example.com"}],
        description="The customer's key, or one identifier (kind: value) naming the customer who holds it.",
    )
    occurred_at: datetime | date | None = None
    event_id: str | None = Field(default=None, min_length=1, max_length=200, description="Idempotency key.")
    source: str | None = Field(default=None, min_length=1, max_length=200, description="Default: the API key's name.")
    actor: str | None = Field(
        default=None, min_length=1, max_length=200, description="The API key's name; any other value rejects the event."
    )
    correlation_id: str | None = Field(default=None, min_length=1, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)
    expected_version: int | None = Field(
        default=None, ge=0, description="Store only if the customer's stream is at this version (0: a new customer)."
    )


class EventBatchIn(BaseModel):
    """A batch of events, stored in one transaction."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {"type": "contact", "customer": "C-1", "data": {"channel": "email"}},
                        {"type": "survey_answered", "customer": "C-1", "data": {"survey_id": "S-1", "kind": "nps", "score": 9}},
                    ],
                    "expected_version": 3,
                }
            ]
        }
    )

    events: list[EventIn] = Field(description="At most LEDGER_HTTP_BATCH_LIMIT events (default 1,000); more is answered 413.")
    expected_version: int | None = Field(
        default=None, ge=0, description="All events of one customer: store only if that stream is at this version."
    )


class ItemResult(BaseModel):
    """What became of one event of the request."""

    index: int = Field(examples=[0])
    event_id: str | None = Field(examples=["shop-order-O-1"])
    status: Literal["stored", "duplicate", "rejected"]
    position: int | None = Field(default=None, description="Its place in the log (stored or duplicate).")
    problems: list[FieldProblem] | None = Field(default=None, description="Why it was rejected.")


class AppendResponse(BaseModel):
    """The outcome of POST /v1/events, event by event."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stored": 1,
                    "duplicates": 0,
                    "rejected": 0,
                    "results": [{"index": 0, "event_id": "shop-order-O-1", "status": "stored", "position": 42}],
                }
            ]
        }
    )

    stored: int
    duplicates: int
    rejected: int
    results: list[ItemResult]


class EventOut(BaseModel):
    """One recorded event; personal data fields are masked (``j***@example.com``, ``***``) without the pii scope."""

    position: int
    version: int
    type: str
    event_id: str
    customer: str
    occurred_at: str
    recorded_at: str
    source: str | None
    actor: str | None
    correlation_id: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


EVENT_EXAMPLE: dict[str, Any] = {
    "position": 42,
    "version": 1,
    "type": "purchase",
    "event_id": "shop-order-O-1",
    "customer": "C-1",
    "occurred_at": "2024-05-01T10:00:00Z",
    "recorded_at": "2024-05-01T10:00:01.250000Z",
    "source": "shop",
    "actor": "shop",
    "correlation_id": None,
    "data": {"order_id": "O-1", "currency": "EUR", "amount": "19.90", "quantity": 1},
    "prev_hash": "0" * 64,
    "hash": "9f" * 32,
}


class Timeline(BaseModel):
    """A customer's events in stream order, and the stream's current version (for expected_version / If-Match)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"customer": "C-1", "version": 1, "events": [EVENT_EXAMPLE]}]})

    customer: str
    version: int
    events: list[EventOut]


class LogPage(BaseModel):
    """Events of the global log in commit order; ask again with after=next_after."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"events": [EVENT_EXAMPLE], "next_after": 42}]})

    events: list[EventOut]
    next_after: int


class CustomersPage(BaseModel):
    """A page of the customer list; next_cursor fetches the next one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "customer": "C-1",
                            "stage": "active",
                            "churn_risk": False,
                            "purchase_days": 3,
                            "recency_days": 12,
                            "spend_365": "59.70",
                            "rfm": "455",
                            "value_segment": "loyal",
                            "vip": False,
                        }
                    ],
                    "next_cursor": "C-1",
                    "behind": 0,
                    "restricted": 0,
                }
            ]
        }
    )

    items: list[CustomerSummary]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page.")
    behind: int = Field(description="Events of the log the read models had not applied yet.")
    restricted: int = Field(default=0, description="Customers left out because their processing is restricted.")


class Trends(BaseModel):
    """Satisfaction and complaint figures per period."""

    rows: list[TrendRow]
    behind: int
    restricted: int = Field(default=0, description="Customers left out because their processing is restricted.")


class Complaints(BaseModel):
    """Complaints with their ages, times and SLA outcomes."""

    rows: list[ComplaintSummary]
    behind: int
    restricted: int = Field(default=0, description="Customers left out because their processing is restricted.")


class VoidIn(BaseModel):
    """Why an event is void."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "entered twice"}]})

    reason: str = Field(min_length=1, max_length=10_000)
    source: str | None = Field(default=None, min_length=1, max_length=200)


class CorrectIn(BaseModel):
    """Data fields of an event to correct, and why."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"changes": {"amount": "29.90"}, "reason": "typo in the till"}]}
    )

    changes: dict[str, Any] = Field(min_length=1)
    reason: str | None = Field(default=None, min_length=1, max_length=10_000)
    source: str | None = Field(default=None, min_length=1, max_length=200)


class EraseIn(BaseModel):
    """Why a customer's personal data is erased: the request it answers (kept in the receipt; no personal data)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "GDPR Art. 17 request 2024-118"}]})

    reason: str = Field(min_length=1, max_length=10_000)
    source: str | None = Field(default=None, min_length=1, max_length=200)


class DigestIn(BaseModel):
    """A digest an auditor kept outside the database, to check the log against."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"position": 42, "root": "ab" * 32}]})

    position: int = Field(ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")


class Verification(BaseModel):
    """A successful verification of the raw stored log."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"events": 42, "streams": 7, "checkpoints": 1, "digest_position": 42, "seconds": 0.01}]}
    )

    events: int
    streams: int
    checkpoints: int
    digest_position: int | None
    seconds: float


class Health(BaseModel):
    """The process answers; /readyz also checks the database and the projections' lag."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok", "max_lag": 0}]})

    status: Literal["ok"]
    max_lag: int | None = Field(default=None, description="With /readyz: the most events any projection is behind.")
