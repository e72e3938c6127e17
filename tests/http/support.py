"""Helpers of the HTTP API's tests."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from http_api.app import create_app
from http_api.settings import ApiSettings
from ledger.config import LedgerConfig

ROOT = Path(__file__).parents[2]


@dataclass(frozen=True)
class Keys:
    """Bearer headers of one key per role."""

    writer: dict[str, str]
    reader: dict[str, str]
    pii: dict[str, str]
    auditor: dict[str, str]
    admin: dict[str, str]


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def client_for(db_url: str, settings: ApiSettings | None = None) -> TestClient:
    """Return a test client of the app (use it as a context manager, which runs start-up and shutdown)."""
    return TestClient(
        create_app(db_url, config=LedgerConfig(), settings=settings or ApiSettings()), raise_server_exceptions=False
    )


def purchase(customer: str = "C-1", order: str = "O-1", amount: str = "19.90", **envelope: object) -> dict[str, object]:
    """Return a purchase event in wire format."""
    return {
        "type": "purchase",
        "customer": customer,
        "occurred_at": "2024-05-01T10:00:00Z",
        "data": {"order_id": order, "amount": amount, "currency": "EUR"},
        **envelope,
    }


@contextmanager
def running_server(
    db_url: str, *, workers: int = 2, timeout: float = 30.0, extra: list[str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start ``ledger serve`` (with extra options) on a free port of 127.0.0.1; yield the process and its URL once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("ledger")),
        "--db",
        db_url,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *(extra or []),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
