"""Examples shown in the OpenAPI document, one or more per endpoint (the longer answers are in example_answers)."""

from __future__ import annotations

from typing import Any

from http_api.example_answers import COHORTS, COMPLAINTS, CONSENT, PROFILE, TRENDS
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


# Every problem document shown in the schema, by name: tests/http/test_examples.py reproduces each with a real request.
PROBLEMS: dict[str, dict[str, Any]] = {}


def _problem(slug: str, title: str, status: int, detail: str, *, name: str | None = None, **extra: Any) -> dict[str, Any]:
    example = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    PROBLEMS[name or slug] = example
    return example


INVALID_EVENT = _problem(
    "invalid-event",
    "Invalid event",
    422,
    "data.amount: Input should be greater than or equal to 0 (got '-1')",
    problems=[
        {"pointer": "/data/amount", "field": "data.amount", "reason": "Input should be greater than or equal to 0 (got '-1')"}
    ],
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
UNKNOWN_PROJECTION = _error(
    404,
    "No projection has this name.",
    _problem(
        "unknown-projection",
        "Unknown projection",
        404,
        "unknown projection: 'nope' (known: profiles, complaints, satisfaction)",
    ),
)
VERIFICATION_FAILED = _problem(
    "verification-failed",
    "Verification failed",
    409,
    "verification failed at position 7: digest mismatch: the log up to here differs from a checkpoint or digest",
    position=7,
)
BAD_REQUEST = _error(
    400,
    "The body or a parameter is malformed (not JSON, not of the documented shape).",
    _problem("invalid-request", "Invalid request", 400, "events must be a list of event objects", name="invalid-body"),
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
        _problem(
            "invalid-request",
            "Invalid request",
            400,
            "as_of: not an ISO 8601 date or datetime: '2024-13-01'",
            name="invalid-parameter",
        ),
    ),
    **AUTH_ERRORS,
}

RECEIPT = {"event_id": "9b0c1f0e-8d4e-4bb8-9c0f-4f1d0d7a8e21", "position": 43, "duplicate": False}
DIGEST = {
    "format": "ledger-digest/1",
    "position": 42,
    "count": 42,
    "root": "ab" * 32,
    "created_at": "2024-06-01T00:00:00Z",
}
PROJECTIONS = [
    {
        "name": "profiles",
        "code_version": 3,
        "stored_version": 3,
        "generation": 1,
        "position": 42,
        "behind": 0,
        "advanced_at": "2024-06-01T00:05:00Z",
        "updated_at": "2024-06-01T00:00:00Z",
        "state": "current",
    }
]
ERASURE = {
    "customer": "C-1",
    "event_id": "erasure-94957d3f-b8d2-484a-9ed3-e66161df9483",
    "position": 44,
    "erased_at": "2024-06-01T12:00:00.000000Z",
    "actor": "operator",
    "reason": "GDPR Art. 17 request 2024-118",
    "fields": ["contact.note"],
    "erased_through": 43,
    "key_destroyed": True,
    "clear_events": [],
}
ALREADY_ERASED = _error(
    409, "The customer was erased before.", _problem("already-erased", "Already erased", 409, "customer 'C-1' is already erased")
)
REBUILD = {"projections": ["profiles"], "events": 42, "seconds": 0.12}
METRICS = "# HELP ledger_http_requests_total HTTP requests answered.\n# TYPE ledger_http_requests_total counter\n"


def ok(example: Any, media_type: str = "application/json") -> dict[int | str, dict[str, Any]]:
    """Return the responses entry of a 200 with its example."""
    return {200: {"content": {media_type: {"example": example}}}}


MISSING_RATE = _error(
    409,
    "Money in another currency needs an exchange rate the ledger does not have.",
    _problem(
        "missing-rate",
        "Missing rate",
        409,
        "no exchange rate for USD on or before 2024-05-01: import one with `ledger rates import`",
    ),
)


__all__ = ["COHORTS", "COMPLAINTS", "CONSENT", "PROFILE", "TRENDS"]
