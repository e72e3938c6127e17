"""Examples shown in the OpenAPI document, one or more per endpoint."""

from __future__ import annotations

from typing import Any

from http_api.problems import PROBLEM_JSON, TYPE_BASE, Problem

POST_EVENTS: dict[str, Any] = {
    "single": {
        "summary": "One event",
        "value": {
            "type": "purchase",
            "customer": "C-1",
            "occurred_at": "2024-05-01T10:00:00Z",
            "event_id": "shop-order-O-1",
            "data": {"order_id": "O-1", "amount": "19.90", "currency": "EUR"},
        },
    },
    "batch": {
        "summary": "A batch, stored in one transaction",
        "value": {
            "events": [
                {"type": "contact", "customer": "C-1", "data": {"channel": "email", "topic": "delivery"}},
                {"type": "survey_answered", "customer": "C-1", "data": {"survey_id": "S-1", "kind": "nps", "score": 9}},
            ]
        },
    },
}


def _problem(slug: str, title: str, status: int, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}


INVALID_EVENT = _problem(
    "invalid-event",
    "Invalid event",
    422,
    "data.amount: Input should be greater than or equal to 0",
    problems=[{"pointer": "/data/amount", "field": "data.amount", "reason": "Input should be greater than or equal to 0"}],
)
VERSION_CONFLICT = _problem(
    "version-conflict",
    "Version conflict",
    409,
    "customer 'C-1' is at version 4, not 3; nothing was stored",
    current_version=4,
)


def _error(status: int, description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {"example": example}}}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error(
        401, "No key, or an unknown or revoked one.", _problem("unauthorized", "Unauthorized", 401, "unknown or revoked API key")
    ),
    403: _error(
        403,
        "The key lacks the scope.",
        _problem("forbidden", "Forbidden", 403, "this endpoint needs the 'admin' scope; the key has read"),
    ),
    429: _error(
        429,
        "Over the key's rate limit; see Retry-After.",
        _problem("rate-limited", "Too many requests", 429, "the key 'shop' is over its rate limit"),
    ),
    503: _error(
        503,
        "The database is unavailable, or a read model cannot answer.",
        _problem("database-unavailable", "Database unavailable", 503, "the ledger's database is unavailable; try again later"),
    ),
}
NOT_FOUND = _error(404, "Not found.", _problem("customer-not-found", "Customer not found", 404, "unknown customer: 'C-9'"))
BAD_REQUEST = _error(
    400,
    "The body or a parameter is malformed (not JSON, not of the documented shape).",
    _problem("invalid-request", "Invalid request", 400, "events must be a list of event objects"),
)
EVENT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: BAD_REQUEST,
    404: _error(404, "No event has this id.", _problem("event-not-found", "Event not found", 404, "unknown event_id: 'E-9'")),
    422: _error(422, "The void or correction breaks a rule.", INVALID_EVENT),
    **AUTH_ERRORS,
}
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error(
        400,
        "A query parameter is invalid.",
        _problem("invalid-request", "Invalid request", 400, "as_of: not a date or time: 'soon'"),
    ),
    **AUTH_ERRORS,
}

RECEIPT = {"event_id": "9b0c1f0e-8d4e-4bb8-9c0f-4f1d0d7a8e21", "position": 43, "duplicate": False}
PROFILE = {
    "customer": "C-1",
    "as_of": "2024-06-01",
    "segment": "retail",
    "first_seen": "2024-05-01",
    "last_seen": "2024-05-20",
    "contacts": 2,
    "contacts_by_channel": {"email": 2},
    "last_contact": "2024-05-20",
    "purchases": 1,
    "purchase_days": 1,
    "first_purchase": "2024-05-01",
    "last_purchase": "2024-05-01",
    "currency": "EUR",
    "total_spend": "19.90",
    "spend": {"EUR": "19.90"},
    "refunds": {},
    "average_order_value": {"EUR": "19.90"},
    "complaints": 0,
    "open_complaints": 0,
    "last_nps": 9,
    "average_csat": None,
    "stage": "active",
    "churn_risk": False,
    "stage_history": [{"day": "2024-05-01", "stage": "active"}],
    "rfm": "515",
    "value_segment": "new",
    "vip": False,
}
TRENDS = {
    "rows": [
        {
            "period": "2024-05",
            "nps": 100.0,
            "nps_answers": 1,
            "csat": None,
            "csat_answers": 0,
            "ces": None,
            "ces_answers": 0,
            "expectation": None,
            "perceived_quality": None,
            "perceived_value": None,
            "quality_minus_expectation": None,
            "complaints_filed": 0,
            "complaints_resolved": 0,
            "median_first_response_hours": None,
            "median_resolution_hours": None,
            "channel": None,
            "segment": None,
        }
    ],
    "behind": 0,
}
COMPLAINTS = {
    "rows": [
        {
            "customer": "C-1",
            "complaint_id": "K-1",
            "severity": "high",
            "channel": "phone",
            "state": "open",
            "filed_at": "2024-05-02T09:00:00Z",
            "age_hours": 30.5,
            "first_response_hours": None,
            "resolution_hours": None,
            "response_met": False,
            "resolution_met": None,
            "reopened": 0,
            "overdue": True,
        }
    ],
    "behind": 0,
}
DIGEST = {
    "format": "ledger-digest/1",
    "position": 42,
    "count": 42,
    "root": "ab" * 32,
    "created_at": "2024-06-01T00:00:00Z",
}
PROJECTIONS = [
    {
        "name": "customers",
        "code_version": 3,
        "stored_version": 3,
        "generation": 1,
        "position": 42,
        "behind": 0,
        "updated_at": "2024-06-01T00:00:00Z",
        "state": "current",
    }
]
REBUILD = {"projections": ["customers"], "events": 42, "seconds": 0.12}
METRICS = "# HELP ledger_http_requests_total HTTP requests answered.\n# TYPE ledger_http_requests_total counter\n"


def ok(example: Any, media_type: str = "application/json") -> dict[int | str, dict[str, Any]]:
    """Return the responses entry of a 200 with its example."""
    return {200: {"content": {media_type: {"example": example}}}}
