"""Writing: POST /v1/events (one event or a batch), and voids and corrections of stored events."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from http_api import examples
from http_api.appending import Appender, Outcome
from http_api.auth import require
from http_api.models import AppendResponse, CorrectIn, EventBatchIn, EventIn, VoidIn
from http_api.problems import PROBLEM_JSON, HttpProblemError, Problem, problem_response
from http_api.settings import ApiSettings
from ledger import Ledger, Receipt
from ledger.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["events"])
Appending = Annotated[ApiKey, Depends(require("append"))]

POST_EVENTS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"oneOf": [{"$ref": "#/components/schemas/EventIn"}, {"$ref": "#/components/schemas/EventBatchIn"}]},
            "examples": examples.POST_EVENTS,
        }
    },
}


@router.post(
    "/events",
    summary="Append one event or a batch",
    response_model=AppendResponse,
    openapi_extra={"requestBody": POST_EVENTS_BODY},
    responses={
        207: {"model": AppendResponse, "description": "Some events were rejected (listed), the others stored."},
        400: examples.BAD_REQUEST,
        409: {"model": Problem, "content": {PROBLEM_JSON: {"example": examples.VERSION_CONFLICT}}},
        413: {"model": Problem, "description": "The body or the batch is too large; nothing was stored."},
        422: {"model": Problem, "content": {PROBLEM_JSON: {"example": examples.INVALID_EVENT}}},
        **examples.AUTH_ERRORS,
    },
)
async def post_events(
    request: Request,
    key: Appending,
    strict: Annotated[bool, Query(description="All or nothing: one rejected event stores none.")] = False,
    idempotency_key: Annotated[
        str | None, Header(min_length=1, max_length=200, description="The event_id of a single event.")
    ] = None,
    if_match: Annotated[
        str | None, Header(pattern=r'^(W/)?"?\d+"?$', description='The stream version expected, as an ETag: "3".')
    ] = None,
) -> Response:
    """Validate and store events with the import's rules.

    Each event is reported as `stored`, `duplicate` (its event_id is known) or
    `rejected` (with its problems): 200 when none was rejected, 207 when some
    were, 422 when all were. With `expected_version` (or `If-Match`) the events
    (all of one customer) are stored only if that stream is at that version,
    else 409 with `current_version`. The actor is always the API key's name.
    """
    settings: ApiSettings = request.app.state.settings
    body = await _read_body(request, settings.max_body_bytes)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise HttpProblemError(400, "invalid-json", "Invalid JSON", f"the body is not JSON: {error}") from None
    batch = isinstance(document, dict) and "events" in document
    items, expected = _items_and_version(document, batch, settings.batch_limit)
    if idempotency_key is not None:
        if batch:
            raise HttpProblemError(
                400, "invalid-request", "Invalid request", "Idempotency-Key is for a single event: give each event an event_id"
            )
        if items[0].get("event_id") not in (None, idempotency_key):
            raise HttpProblemError(400, "invalid-request", "Invalid request", "Idempotency-Key and the body's event_id differ")
        items[0] = {**items[0], "event_id": idempotency_key}
    expected = _merge_expected(expected, if_match)
    ledger: Ledger = request.app.state.ledger
    appender = Appender(ledger, settings, key, request.app.state.write_lock)
    outcome = await run_in_threadpool(appender.append, items, batch=batch, strict=strict, expected_version=expected)
    return _outcome_response(outcome, batch)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(f"the body is {declared} bytes, the most is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(detail: str) -> HttpProblemError:
    return HttpProblemError(413, "too-large", "Request too large", detail + "; nothing was stored")


def _items_and_version(document: Any, batch: bool, batch_limit: int) -> tuple[list[Any], Any]:
    """Return the request's events (unvalidated) and its expected_version, checking only the body's shape."""
    if batch:
        events = document["events"]
        extra = set(document) - {"events", "expected_version"}
        if not isinstance(events, list) or extra:
            detail = f"unknown member {sorted(extra)[0]!r}" if extra else "events must be a list of event objects"
            raise HttpProblemError(400, "invalid-request", "Invalid request", detail)
        if len(events) > batch_limit:
            raise _too_large(f"the batch has {len(events)} events, the most is {batch_limit}")
        return events, document.get("expected_version")
    if not isinstance(document, dict):
        raise HttpProblemError(400, "invalid-request", "Invalid request", 'the body must be an event object or {"events": [...]}')
    item = dict(document)
    return [item], item.pop("expected_version", None)


def _merge_expected(expected: Any, if_match: str | None) -> int | None:
    from_header = None
    if if_match is not None:
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit():
            raise HttpProblemError(
                400, "invalid-request", "Invalid request", 'If-Match must be a stream version as an ETag, e.g. "3"'
            )
        from_header = int(tag)
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 0):
        raise HttpProblemError(400, "invalid-request", "Invalid request", "expected_version must be a whole number from 0")
    if expected is not None and from_header is not None and expected != from_header:
        raise HttpProblemError(400, "invalid-request", "Invalid request", "expected_version and If-Match differ")
    return expected if expected is not None else from_header


def _outcome_response(outcome: Outcome, batch: bool) -> Response:
    body = outcome.response()
    if outcome.all_rejected:
        items = [item.model_dump(exclude_none=True) for item in body.results]
        problems = body.results[0].problems if not batch and body.results[0].problems else None
        return problem_response(
            422,
            "invalid-event",
            "Invalid event",
            outcome.detail(),
            problems=[p.model_dump() for p in problems] if problems else None,
            items=items,
        )
    status = 207 if body.rejected else 200
    # Serialised by pydantic in one pass, not dumped to dicts and then encoded by the json module.
    return Response(body.model_dump_json(), status_code=status, media_type="application/json")


@router.post(
    "/events/{event_id}/void",
    summary="Void a stored event",
    response_model=Receipt,
    responses={200: {"content": {"application/json": {"example": examples.RECEIPT}}}, **examples.EVENT_ERRORS},
)
def void_event(event_id: str, body: VoidIn, key: Appending, request: Request) -> Receipt:
    """Append a void of an earlier event: queries then treat it as never having happened."""
    ledger: Ledger = request.app.state.ledger
    return ledger.void(event_id, body.reason, actor=key.name, source=body.source or key.name)


@router.post(
    "/events/{event_id}/correct",
    summary="Correct data fields of a stored event",
    response_model=Receipt,
    responses={200: {"content": {"application/json": {"example": examples.RECEIPT}}}, **examples.EVENT_ERRORS},
)
def correct_event(event_id: str, body: CorrectIn, key: Appending, request: Request) -> Receipt:
    """Append a correction of some data fields of an earlier event (later corrections win)."""
    ledger: Ledger = request.app.state.ledger
    return ledger.correct(event_id, body.changes, reason=body.reason, actor=key.name, source=body.source or key.name)


# Referenced from the request body's schema above; listed so that the schema's components include them.
DOCUMENTED_MODELS = (EventIn, EventBatchIn)
