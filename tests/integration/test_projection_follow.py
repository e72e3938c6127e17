"""A projection follower: when each projection last advanced, and surviving a database that goes away."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from cli import main
from ledger import projection_runner
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.errors import DatabaseUnavailableError


def append_round(ledger: Ledger, round_: int, customers: int = 20) -> None:
    ledger.append_many(
        [
            {"type": "contact", "customer": f"C-{n}", "occurred_at": "2024-03-01", "data": {"channel": "phone"}}
            for n in range(customers)
        ]
        + [
            {
                "type": "purchase",
                "customer": f"C-{n}",
                "occurred_at": "2024-03-02",
                "data": {"order_id": f"O-{round_}-{n}", "amount": "10"},
            }
            for n in range(0, customers, 3)
        ]
    )


def wait_until(condition, timeout: float = 30.0, message=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out {message()}"
        time.sleep(0.05)


def advanced(ledger: Ledger) -> dict[str, str | None]:
    return {s.name: s.advanced_at for s in ledger.projections_status()}


def test_status_shows_when_each_projection_last_advanced(ledger: Ledger, db_url: str):
    append_round(ledger, 0)
    assert set(advanced(ledger).values()) == {None}  # never built
    ledger.catch_up()
    first = advanced(ledger)
    assert all(first.values())
    assert ledger.catch_up() == 0
    assert advanced(ledger) == first  # nothing applied, nothing moved
    stop = threading.Event()
    follower = threading.Thread(target=ledger.follow, kwargs={"stop": stop, "progress": False})
    follower.start()
    try:
        time.sleep(0.01)  # a later stamp than the first, on any clock resolution
        append_round(ledger, 1)
        wait_until(lambda: all(s.behind == 0 for s in ledger.projections_status()))
    finally:
        stop.set()
        follower.join()
    later = advanced(ledger)
    assert all(datetime.fromisoformat(later[name]) > datetime.fromisoformat(first[name]) for name in first)  # type: ignore[arg-type]
    ledger.rebuild(["profiles"], progress=False)
    assert advanced(ledger)["profiles"] != later["profiles"]
    shown = [
        json.loads(line)
        for line in CliRunner().invoke(main, ["--db", db_url, "projections", "status", "--json"]).stdout.splitlines()
    ]
    assert {row["name"]: row["advanced_at"] for row in shown} == advanced(ledger)
    table = CliRunner().invoke(main, ["--db", db_url, "projections", "status"]).stdout
    assert "advanced_at" in table.splitlines()[0]


def test_a_follower_retries_while_the_database_is_away_and_logs_each_retry(sqlite_url, monkeypatch, caplog):
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger:
        append_round(ledger, 0)
        ledger.catch_up()
        real = projection_runner.catch_up
        calls = []

        def flaky(*args, **kwargs):
            calls.append(None)
            if len(calls) <= 3:
                raise DatabaseUnavailableError("database unavailable: server closed the connection")
            return real(*args, **kwargs)

        monkeypatch.setattr(projection_runner, "catch_up", flaky)
        monkeypatch.setattr(projection_runner, "RETRY_FIRST_WAIT", 0.01)
        stop = threading.Event()
        follower = threading.Thread(target=ledger.follow, kwargs={"stop": stop, "progress": False})
        with caplog.at_level(logging.WARNING, logger="ledger.projections"):
            follower.start()
            try:
                wait_until(lambda: len(calls) > 3)  # back after three failures
                append_round(ledger, 1)
                wait_until(lambda: all(s.behind == 0 for s in ledger.projections_status()))
            finally:
                stop.set()
                follower.join()
        lines = [r.getMessage() for r in caplog.records if r.name == "ledger.projections"]
        assert [line.split("; retry ")[1].split()[0] for line in lines] == ["1", "2", "3"]
        assert all(line.startswith("projections follow: database unavailable: server closed the connection") for line in lines)
        assert ledger.profile("C-0").contacts == 2


def test_a_follower_stopped_during_an_outage_ends_cleanly(sqlite_url, monkeypatch):
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger:
        append_round(ledger, 0)
        ledger.catch_up()
        stop = threading.Event()

        def away(*args, **kwargs):
            stop.set()  # Ctrl-C arrives while the database is away
            raise DatabaseUnavailableError("database unavailable: connection refused")

        monkeypatch.setattr(projection_runner, "catch_up", away)
        assert ledger.follow(stop=stop, progress=False) == 0


@pytest.mark.slow
def test_a_follower_survives_its_connections_being_terminated(postgres_url, tmp_path):
    """Backends killed from another session while appending: the projected figures equal a rebuild's."""
    name = f"ledger-follower-{uuid.uuid4().hex[:8]}"
    with Ledger(postgres_url, config=LedgerConfig()) as ledger:
        append_round(ledger, 0)
        ledger.catch_up()
        env = {**os.environ, "PGAPPNAME": name}
        follower = subprocess.Popen(
            [sys.executable, "-m", "cli", "--db", postgres_url, "projections", "run", "--follow", "--quiet"],
            env=env,
            stderr=(tmp_path / "stderr").open("w"),
        )
        admin = create_engine(os.environ["LEDGER_TEST_POSTGRES_URL"])
        try:

            def backends(what: str) -> list:
                with admin.connect() as connection:
                    sql = f"SELECT {what} FROM pg_stat_activity WHERE application_name = :name"
                    return list(connection.execute(text(sql), {"name": name}))

            for round_ in range(1, 5):
                append_round(ledger, round_)
                wait_until(lambda: backends("pid"), message=lambda: (tmp_path / "stderr").read_text())  # connected again
                time.sleep(0.1)  # mid-batch or between polls, as it happens
                assert backends("pg_terminate_backend(pid)")
                assert follower.poll() is None
            append_round(ledger, 5)
            wait_until(lambda: all(s.behind == 0 for s in ledger.projections_status()), timeout=60)
        finally:
            follower.send_signal(signal.SIGTERM)
            follower.wait(timeout=30)
            admin.dispose()
        stderr = (tmp_path / "stderr").read_text()
        assert follower.returncode == 0, stderr
        retries = [line for line in stderr.splitlines() if line.startswith("projections follow:")]
        assert retries, stderr
        assert "Traceback" not in stderr
        followed = figures(ledger)
        ledger.rebuild(progress=False)
        assert figures(ledger) == followed
        assert [p.contacts for p in followed[0]] == [6] * 20  # none lost, none counted twice
        assert sum(p.purchases for p in followed[0]) == 6 * 7


def figures(ledger: Ledger) -> tuple[list, list, list]:
    """What the read models answer: every profile, the customer list, the monthly trends."""
    profiles = [ledger.profile(f"C-{n}") for n in range(20)]
    return profiles, ledger.customers().rows, ledger.trends(by="month").rows
