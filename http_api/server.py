"""Run the API on uvicorn: workers share the database; SIGTERM finishes the requests under way, then stops."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import uvicorn

from http_api.metrics import MULTIPROCESS_ENV
from http_api.settings import RATE_STATE_ENV, ApiSettings

APP_FACTORY = "http_api.app:app_from_environment"
# The longest a graceful shutdown waits for requests under way (long-polls end at once on the signal).
SHUTDOWN_TIMEOUT_S = 30


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    db: str | None = None,
    config_path: str | None = None,
    settings: ApiSettings | None = None,
) -> None:
    """Serve the API until SIGTERM or SIGINT; each worker process opens its own Ledger on the same database."""
    # Workers are separate processes started by uvicorn: they read everything from the environment.
    if db:
        os.environ["LEDGER_DB"] = db
    if config_path:
        os.environ["LEDGER_CONFIG"] = config_path
    chosen = settings or ApiSettings.from_environ()
    os.environ.update(chosen.to_environ())
    # What the workers share besides the database, for this run only: metrics and the rate limit's buckets.
    shared = Path(tempfile.mkdtemp(prefix="ledger-serve-"))
    if workers > 1 and not os.environ.get(MULTIPROCESS_ENV):
        (shared / "metrics").mkdir()
        os.environ[MULTIPROCESS_ENV] = str(shared / "metrics")
    if chosen.rate_limit > 0:
        os.environ[RATE_STATE_ENV] = str(shared / "rate-limit.sqlite")
    try:
        run(APP_FACTORY, host=host, port=port, workers=workers)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def run(factory: str, *, host: str, port: int, workers: int) -> None:
    """Run an ASGI app factory (``module:function``) on uvicorn with the server settings of ``serve``."""
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
        log_level="info",
        # No line per request: paths hold customers' keys, and formatting the line cost a single-event POST
        # a twentieth of its time. /metrics counts requests by route template instead.
        access_log=False,
    )
