"""The ASGI app: one Ledger per process, the routers, problem documents, metrics and the OpenAPI document."""

from __future__ import annotations

import gc
import json
import os
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from http_api import metrics, routes_analytics, routes_events, routes_ops, routes_privacy, routes_queries
from http_api.problems import PROBLEM_JSON, install_problem_handlers
from http_api.rate_limit import RateLimit, RateLimiter, SharedRateLimiter
from http_api.settings import RATE_STATE_ENV, ApiSettings
from ledger import Ledger
from ledger.config import LedgerConfig, load_config

TITLE = "Customer-interaction ledger"
API_VERSION = "1"
DESCRIPTION = """Append customer events and read timelines, profiles, reports and the log.

Every request but the probes needs `Authorization: Bearer <API key>` (made with
`ledger api-keys create NAME --scope append,read,pii,audit,admin`). Errors are
`application/problem+json` documents with a stable `type` per error class.
Personal data fields are masked (`j***@example.com`, `***`) without the `pii` scope.
"""

_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def create_app(
    db_url: str | None = None,
    *,
    config: LedgerConfig | None = None,
    settings: ApiSettings | None = None,
    rate_state: str | None = None,
    service: bool = False,
) -> FastAPI:
    """Return the app; it opens its Ledger on start-up and closes it on shutdown.

    Without settings, the limits are the configuration's ``[http]`` table with LEDGER_HTTP_* over it.
    With rate_state (a file path), the rate limit's buckets are shared with every app given that file.
    A service (a server's worker) freezes the garbage collector's objects once started.
    """
    config = config or load_config()
    chosen = settings or ApiSettings.from_environ(base=ApiSettings.from_config(config.http))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ledger = Ledger(db_url, config=config)
        _end_long_polls_on_signals(app.state.stopping)
        if service:  # as the README advises: full collections then skip what imports left (the as-of p99 in bench/)
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            app.state.ledger.close()

    app = FastAPI(title=TITLE, version=API_VERSION, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = chosen
    limiter: RateLimit = (
        SharedRateLimiter(rate_state, chosen.rate_limit, chosen.burst)
        if rate_state
        else RateLimiter(chosen.rate_limit, chosen.burst)
    )
    app.state.rate_limiter = limiter
    app.state.stopping = threading.Event()
    app.state.write_lock = threading.Lock()  # see http_api.appending.Appender
    install_problem_handlers(app)
    app.add_middleware(metrics.MeasuredApp)
    app.include_router(routes_events.router)
    app.include_router(routes_queries.router)
    app.include_router(routes_analytics.router)
    app.include_router(routes_privacy.router)
    app.include_router(routes_ops.router)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


def app_from_environment() -> FastAPI:
    """Return the app of a server's worker: database, configuration and limits from LEDGER_DB, LEDGER_CONFIG, LEDGER_HTTP_*."""
    return create_app(os.environ.get("LEDGER_DB"), config=load_config(), rate_state=os.environ.get(RATE_STATE_ENV), service=True)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """Return the OpenAPI document (built once), with the request models POST /v1/events refers to by hand."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for model in routes_events.DOCUMENTED_MODELS:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(schema.pop("$defs", {}))
            components[model.__name__] = schema
        for operation in (op for methods in document["paths"].values() for op in methods.values()):
            _describe_errors_as_problems(operation["responses"])
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = document
    return app.openapi_schema


def _describe_errors_as_problems(responses: dict[str, Any]) -> None:
    """Say what the problem handlers do: a bad parameter is 400 (FastAPI documents 422), every error is problem+json."""
    if "HTTPValidationError" in json.dumps(responses.get("422", {})):
        del responses["422"]
        responses.setdefault("400", {"description": "A parameter or the body is invalid.", "content": _PROBLEM_CONTENT})
    for status, response in responses.items():
        content = response.get("content", {})
        if int(status) >= 400 and "application/json" in content:
            content[PROBLEM_JSON] = content.pop("application/json")


def _end_long_polls_on_signals(stopping: threading.Event) -> None:
    """Make SIGTERM and SIGINT also end waiting long-polls, so that a graceful shutdown need not wait out their wait.

    The server installed its own handlers before the app started; each is kept and called after.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # a test client runs the app in another thread, where signals cannot be handled
    for number in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(number)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            stopping.set()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:  # no server of ours: do what the signal would have done
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        signal.signal(number, handler)
