"""Fixtures of the HTTP API's tests: an app on a fresh database (SQLite and PostgreSQL) and keys of each scope."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

# Starlette's test client asks for httpx2 in place of httpx; both work, and schemathesis brings httpx.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402

from ledger import Ledger  # noqa: E402
from ledger.config import LedgerConfig  # noqa: E402
from tests.http.support import Keys, bearer, client_for  # noqa: E402


@pytest.fixture
def keys(db_url: str) -> Keys:
    """Create one key per role on the test's database."""
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        made = {
            "writer": ledger.create_api_key("shop", "append,read"),
            "reader": ledger.create_api_key("dashboard", "read"),
            "pii": ledger.create_api_key("support", "read,pii"),
            "auditor": ledger.create_api_key("auditor", "audit"),
            "admin": ledger.create_api_key("operator", "admin"),
        }
    return Keys(**{role: bearer(created.token) for role, created in made.items()})


@pytest.fixture
def client(db_url: str, keys: Keys) -> Iterator[TestClient]:
    """Return a test client of the app with default settings."""
    with client_for(db_url) as opened:
        yield opened
