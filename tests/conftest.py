"""Shared fixtures: a fresh SQLite file or a fresh PostgreSQL schema per test."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from multiprocessing.context import ForkServerContext

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.application import Ledger
from ledger.config import LedgerConfig

POSTGRES_ENV = "LEDGER_TEST_POSTGRES_URL"
# What a test's worker process needs before it can run: the ledger, and pytest, which test modules import.
WORKER_PRELOAD = ["ledger.application", "pytest"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that ask for PostgreSQL by name as `postgres`, like the PostgreSQL runs of `db_url`."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """Return the URL of a new SQLite database file."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Return the URL of a new, empty PostgreSQL schema, dropped after the test.

    Skips without LEDGER_TEST_POSTGRES_URL; with it set, an unreachable server fails the test.
    """
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Return a fresh database URL, once for SQLite and once for PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def ledger(db_url) -> Iterator[Ledger]:
    """Return a ledger with default configuration on a fresh database."""
    with Ledger(db_url, config=LedgerConfig()) as opened:
        yield opened


@pytest.fixture(scope="session")
def worker_processes() -> ForkServerContext:
    """Return a multiprocessing context for tests that race several fresh processes against one database.

    Its processes fork from a server that imported the ledger once: like spawned ones they
    share no connection, thread or state with this process, but they start in milliseconds
    instead of each importing the ledger again, which on two cores cost seconds per test.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context
