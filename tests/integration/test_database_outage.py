"""A lost PostgreSQL connection reaches the caller as DatabaseUnavailableError, on reads and writes, every time."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.errors import DatabaseUnavailableError


def _terminate_sessions_of(url: str) -> None:
    """End every other session of the ledger's schema, as a server restart does."""
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND datname = current_database()"
                " AND application_name = 'ledger-outage-test'"
            )
        )
    admin.dispose()


def test_every_failure_after_a_lost_connection_is_a_ledger_error(postgres_url):
    url = postgres_url + "&application_name=ledger-outage-test"
    with Ledger(url, config=LedgerConfig()) as ledger:
        ledger.append("contact", "C-1", {"channel": "web"})
        assert len(ledger.log()) == 1
        _terminate_sessions_of(postgres_url)
        failures = []
        for call in (lambda: ledger.log(), lambda: ledger.append("contact", "C-1", {"channel": "web"})):
            try:
                call()
            except DatabaseUnavailableError as error:
                failures.append(str(error))
        assert failures, "a lost connection went unnoticed"
        assert all("\n" not in message for message in failures)
        # The pool opens new connections once the server is back.
        assert ledger.append("contact", "C-1", {"channel": "phone"}).position == 2
        assert len(ledger.log()) == 2


def test_a_read_of_an_unreachable_server_is_a_ledger_error(sqlite_url):
    with pytest.raises(DatabaseUnavailableError):
        Ledger("postgresql://nobody@127.0.0.1:1/none", config=LedgerConfig())
