"""Prometheus metrics: requests, latency, events appended, projection lag.

With several workers, ``serve`` sets PROMETHEUS_MULTIPROC_DIR (before any worker imports
prometheus_client) and /metrics aggregates every worker's files: the library's multiprocess mode.
"""

from __future__ import annotations

import os
import time

from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("ledger_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram(
    "ledger_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS = Counter("ledger_http_events_total", "Events posted, by outcome.", ["outcome"])
PROJECTION_LAG = Gauge(
    "ledger_projection_lag_events", "Events of the log a projection has not applied.", ["projection"], multiprocess_mode="max"
)


def registry() -> CollectorRegistry:
    """Return the registry /metrics renders: every worker's when in multiprocess mode, else this process's."""
    if os.environ.get(MULTIPROCESS_ENV):
        collected = CollectorRegistry()
        MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
        return collected
    return REGISTRY


def render(lags: dict[str, int]) -> Response:
    """Set the projection lags just read and render the metrics in Prometheus' text format."""
    for name, behind in lags.items():
        PROJECTION_LAG.labels(projection=name).set(behind)
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)


class MeasuredApp:
    """ASGI middleware counting and timing each request under its route's template (never its raw path, which holds
    keys of customers).

    Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, whose per-request task and streams cost a
    single-event POST a tenth of its time.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            # The router puts the matched route in the request's scope.
            template = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(scope["method"], template).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], template, str(status)).inc()
