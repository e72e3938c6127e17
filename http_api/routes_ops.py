"""Auditors' and operators' endpoints, and the probes: digest, verify, projections, health, readiness, metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from http_api import examples, metrics
from http_api.auth import require
from http_api.models import DigestIn, Health, Verification
from http_api.problems import PROBLEM_JSON, HttpProblemError, Problem
from ledger import Ledger, LedgerError
from ledger.api_keys import ApiKey
from ledger.audit.digest import DigestDocument
from ledger.audit.verify import Digest
from ledger.results import ProjectionStatus, RebuildResult

router = APIRouter(tags=["operations"])
Auditing = Annotated[ApiKey, Depends(require("audit"))]
Administering = Annotated[ApiKey, Depends(require("admin"))]


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


@router.get(
    "/v1/digest",
    response_model=DigestDocument,
    summary="Take a digest",
    responses={**examples.ok(examples.DIGEST), **examples.AUTH_ERRORS},
)
def digest(_key: Auditing, request: Request) -> DigestDocument:
    """Return the log's root hash at its head, to keep outside the database; the ledger checkpoints it."""
    return _ledger(request).digest()


@router.post(
    "/v1/verify",
    response_model=Verification,
    summary="Verify the stored log",
    responses={
        409: {
            "model": Problem,
            "description": "The log is not what was written (names the first bad event).",
            "content": {PROBLEM_JSON: {"example": examples.VERIFICATION_FAILED}},
        },
        **examples.AUTH_ERRORS,
    },
)
def verify(_key: Auditing, request: Request, kept: Annotated[DigestIn | None, Body()] = None) -> Verification:
    """Check every stored event's hash chain, the positions and the checkpoints, and a digest kept outside if given."""
    report = _ledger(request).verify(Digest(kept.position, kept.root) if kept else None)
    return Verification(
        events=report.events,
        streams=report.streams,
        checkpoints=report.checkpoints,
        digest_position=report.digest_position,
        seconds=report.seconds,
    )


@router.get(
    "/v1/projections",
    response_model=list[ProjectionStatus],
    summary="Projections against the log",
    responses={**examples.ok(examples.PROJECTIONS), **examples.AUTH_ERRORS},
)
def projections(_key: Administering, request: Request) -> list[ProjectionStatus]:
    """Return where each projection stands against the log."""
    return _ledger(request).projections_status()


@router.post(
    "/v1/projections/{name}/rebuild",
    response_model=RebuildResult,
    summary="Rebuild a projection",
    responses={**examples.ok(examples.REBUILD), 404: examples.UNKNOWN_PROJECTION, **examples.AUTH_ERRORS},
)
def rebuild(name: str, _key: Administering, request: Request) -> RebuildResult:
    """Rebuild a projection into new tables and switch to them at once; the old ones answer until then."""
    return _ledger(request).rebuild([name])


@router.get("/healthz", response_model=Health, summary="The process is up", responses=examples.ok({"status": "ok"}))
def healthz() -> Health:
    """Answer without touching the database."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="Ready to serve",
    responses={**examples.ok({"status": "ok", "max_lag": 0}), 503: examples.AUTH_ERRORS[503]},
)
def readyz(request: Request) -> Health:
    """Answer 200 when the database answers and no projection is more than LEDGER_HTTP_READY_MAX_LAG events behind."""
    statuses = _ledger(request).projections_status()
    lag = max((status.behind for status in statuses), default=0)
    limit = request.app.state.settings.ready_max_lag
    if lag > limit:
        raise HttpProblemError(
            503, "projections-behind", "Projections behind", f"a projection is {lag} events behind the log (the most is {limit})"
        )
    return Health(status="ok", max_lag=lag)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"example": examples.METRICS}}}},
)
async def metrics_endpoint(request: Request) -> Response:
    """Render requests, latencies, events appended and projection lag in Prometheus' text format."""
    try:
        statuses = await run_in_threadpool(_ledger(request).projections_status)
    except LedgerError:  # metrics still answer while the database does not; the lag then keeps its last value
        statuses = []
    return metrics.render({status.name: status.behind for status in statuses})
