"""Run the API on uvicorn: workers share the database; SIGTERM finishes the requests under way, then stops."""

from __future__ import annotations

import os
import shutil
import tempfile

import uvicorn

from http_api.metrics import MULTIPROCESS_ENV
from http_api.settings import ApiSettings

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
    os.environ.update((settings or ApiSettings.from_environ()).to_environ())
    metrics_dir = None
    if workers > 1 and not os.environ.get(MULTIPROCESS_ENV):
        metrics_dir = tempfile.mkdtemp(prefix="ledger-metrics-")
        os.environ[MULTIPROCESS_ENV] = metrics_dir
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
            log_level="info",
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
