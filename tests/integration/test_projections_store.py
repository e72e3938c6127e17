"""Projections on SQLite and PostgreSQL: rebuild, status, versions, corrections, known-at, crashes, following."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from commands.errors import ProjectionOutdatedError
from ledger import projection_operations as ops
from ledger import rebuild as rebuild_module
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.queries.customers import customers, profile
from ledger.queries.reports import complaints, trends
from ledger.storage.persistence import SQLITE_CACHE_KIB
from ledger.storage.projection_state import ProjectionState
from ledger.storage.store import SCAN_CACHE_KIB
from projections import registry
from projections.metrics import TrendFilter
from tests.projection_batches import build_incrementally, drop_generation, rows_of


def _seed(ledger) -> None:
    ledger.append("customer_registered", "C-1", {"segment": "retail"}, occurred_at="2024-01-01", event_id="r1")
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "100.00"}, occurred_at="2024-01-10", event_id="p1")
    ledger.append("purchase", "C-1", {"order_id": "O-2", "amount": "50.00"}, occurred_at="2024-02-10", event_id="p2")
    ledger.append(
        "survey_answered", "C-1", {"survey_id": "s", "kind": "nps", "score": 3}, occurred_at="2024-02-11", event_id="s1"
    )
    ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "20.00"}, occurred_at="2024-02-12", event_id="f1")
    ledger.append("complaint_filed", "C-2", {"complaint_id": "K", "severity": "critical"}, occurred_at="2024-03-01T08:00:00Z")
    ledger.append("complaint_resolved", "C-2", {"complaint_id": "K"}, occurred_at="2024-03-01T20:00:00Z")


def test_rebuild_status_corrections_and_known_at(ledger):
    _seed(ledger)
    assert {s.state for s in ops.status(ledger)} == {"never built: run `ledger projections rebuild`"}
    assert ops.rebuild(ledger, progress=False) == 7
    assert [(s.name, s.position, s.behind, s.state) for s in ops.status(ledger)] == [
        ("profiles", 7, 0, "current"),
        ("complaints", 7, 0, "current"),
        ("satisfaction", 7, 0, "current"),
    ]
    before = profile(ledger, "C-1")
    assert (before["spend"], before["refunds"], before["purchases"], before["last_nps"]) == (
        {"EUR": "130.00"},
        {"EUR": "20.00"},
        2,
        3,
    )
    known = datetime.now(UTC)
    time.sleep(0.01)
    ledger.void("p2", "test order")
    ledger.correct("s1", {"score": 10}, reason="typo")
    assert ops.status(ledger)[0].behind == 2
    after = profile(ledger, "C-1")  # queries catch up first
    assert (after["spend"], after["purchases"], after["purchase_days"], after["last_nps"]) == ({"EUR": "80.00"}, 1, 1, 10)
    then = profile(ledger, "C-1", known_at=known)
    assert (then["spend"], then["last_nps"]) == ({"EUR": "130.00"}, 3)
    assert profile(ledger, "C-1", as_of="2024-02-10", known_at=known)["spend"] == {"EUR": "150.00"}
    (feb,) = trends(ledger, TrendFilter(by="month", start=date(2024, 2, 1), end=date(2024, 2, 29)))
    assert (feb["period"], feb["nps"], feb["nps_answers"]) == ("2024-02", 100.0, 1)
    (old,) = trends(ledger, TrendFilter(by="month", start=date(2024, 2, 1), end=date(2024, 2, 29)), known_at=known)
    assert old["nps"] == -100.0
    (k,) = complaints(ledger)
    assert (k["state"], k["first_response_hours"], k["resolution_hours"], k["response_met"], k["resolution_met"]) == (
        "resolved",
        12.0,
        12.0,
        False,
        True,
    )


def test_replay_as_of_today_matches_the_tables(ledger):
    _seed(ledger)
    today = datetime.now(UTC).date().isoformat()
    assert customers(ledger, as_of=today) == customers(ledger)


def test_version_mismatch_is_reported_until_rebuilt(ledger, monkeypatch):
    _seed(ledger)
    ops.rebuild(ledger, progress=False)
    newer = dataclasses.replace(registry.PROJECTIONS["profiles"], version=2)
    monkeypatch.setitem(registry.PROJECTIONS, "profiles", newer)
    assert ops.status(ledger)[0].state == "needs rebuild (built by version 1)"
    with pytest.raises(ProjectionOutdatedError, match="ledger projections rebuild profiles"):
        profile(ledger, "C-1")
    ops.rebuild(ledger, ["profiles"], progress=False)
    assert ops.status(ledger)[0].state == "current"
    assert profile(ledger, "C-1")["purchases"] == 2


def test_a_crashed_rebuild_leaves_the_old_tables_serving_and_the_next_one_restarts(ledger, monkeypatch):
    _seed(ledger)
    ops.rebuild(ledger, progress=False)
    ledger.append("purchase", "C-1", {"order_id": "O-3", "amount": "5.00"}, occurred_at="2024-04-01")

    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(rebuild_module, "_flush", crash)
    with pytest.raises(RuntimeError):
        ops.rebuild(ledger, progress=False)
    monkeypatch.undo()
    assert "rebuild to generation 2 under way or interrupted" in ops.status(ledger)[0].state
    assert profile(ledger, "C-1")["purchases"] == 3  # generation 1 serves, caught up
    with ledger.store.engine.connect() as connection:
        assert "lp_profiles_g2_customers" in inspect(connection).get_table_names()
    ops.rebuild(ledger, progress=False)
    with ledger.store.engine.connect() as connection:
        names = sorted(n for n in inspect(connection).get_table_names() if n.startswith("lp_"))
    assert names == ["lp_complaints_g3_complaints", "lp_profiles_g3_customers", "lp_satisfaction_g3_answers"]
    assert [s.state for s in ops.status(ledger)] == ["current"] * 3
    assert profile(ledger, "C-1")["spend"] == {"EUR": "135.00"}


def _rows_after_rebuild(ledger) -> dict:
    ops.rebuild(ledger, progress=False)
    with ledger.store.engine.connect() as connection:
        meta = ProjectionState(ledger.store).read(connection)
    return rows_of(ledger, lambda name: meta[name].generation)


def test_a_rebuild_in_two_processes_builds_the_same_rows(ledger, monkeypatch):
    _seed(ledger)
    for customer in "ABCDEFG":  # stream ids on both sides of the middle
        ledger.append("purchase", customer, {"order_id": "O", "amount": "7.00"}, occurred_at="2024-05-01")
        ledger.append("survey_answered", customer, {"survey_id": "s", "kind": "nps", "score": 9}, occurred_at="2024-05-02")
    in_one = _rows_after_rebuild(ledger)
    monkeypatch.setattr(rebuild_module, "TWO_PROCESSES_FROM", 1)
    in_two = _rows_after_rebuild(ledger)
    assert in_two == in_one
    assert len(in_two["profiles.customers"]) == 9


@pytest.mark.parametrize("failure", ["raises", "dies"])
def test_a_failing_second_process_fails_the_rebuild_and_the_old_tables_serve(ledger, monkeypatch, failure):
    _seed(ledger)
    ops.rebuild(ledger, progress=False)
    parent = os.getpid()
    flush = rebuild_module._flush

    def flush_in_parent_only(*args, **kwargs):
        if os.getpid() != parent:  # the forked second process
            if failure == "dies":
                os._exit(9)
            raise RuntimeError("disk full")
        flush(*args, **kwargs)

    monkeypatch.setattr(rebuild_module, "TWO_PROCESSES_FROM", 1)
    monkeypatch.setattr(rebuild_module, "_flush", flush_in_parent_only)
    expected = "exit code 9" if failure == "dies" else "disk full"
    with pytest.raises(RuntimeError, match=expected):
        ops.rebuild(ledger, progress=False)
    assert profile(ledger, "C-1")["purchases"] == 2  # generation 1 serves
    monkeypatch.setattr(rebuild_module, "_flush", flush)
    ops.rebuild(ledger, progress=False)
    assert [s.state for s in ops.status(ledger)] == ["current"] * 3


def test_follow_sees_a_new_event_within_a_second(ledger):
    _seed(ledger)
    ops.rebuild(ledger, progress=False)
    stop = threading.Event()
    follower = threading.Thread(target=ops.run, args=(ledger,), kwargs={"stop": stop, "progress": False})
    follower.start()
    try:
        ledger.append("contact", "C-3", {"channel": "phone"}, occurred_at="2024-05-01")
        appended = time.monotonic()
        while ops.status(ledger)[0].behind and time.monotonic() - appended < 1.0:
            time.sleep(0.02)
        assert ops.status(ledger)[0].position == 8
        assert time.monotonic() - appended < 1.0
    finally:
        stop.set()
        follower.join(timeout=5)
    assert not follower.is_alive()
    state = ProjectionState(ledger.store)
    table = registry.tables_for("profiles", 1)["customers"]
    with ledger.store.engine.connect() as connection:
        assert state.position(connection, "profiles", 1) == 8
        assert connection.execute(select(table.c.contacts).where(table.c.customer == "C-3")).scalar() == 1


RICH = [
    ("customer_registered", "A", {"segment": "retail"}, "2024-01-01"),
    ("purchase", "A", {"order_id": "1", "amount": "10.00"}, "2024-01-02"),
    ("contact", "B", {"channel": "email"}, "2024-01-03"),
    ("complaint_filed", "B", {"complaint_id": "k", "severity": "low"}, "2024-01-04"),
    ("survey_answered", "A", {"survey_id": "s", "kind": "csat", "score": 2}, "2024-01-05"),
    ("purchase", "B", {"order_id": "2", "amount": "7.00", "currency": "USD"}, "2024-01-06"),
    ("complaint_responded", "B", {"complaint_id": "k"}, "2024-01-07"),
    ("refund", "A", {"order_id": "1", "amount": "3.00"}, "2024-01-08"),
    ("customer_updated", "A", {"segment": "business"}, "2024-01-09"),
    ("purchase", "A", {"order_id": "3", "amount": "20.00"}, "2024-01-10"),
    ("complaint_resolved", "B", {"complaint_id": "k"}, "2024-01-11"),
    ("contact", "C", {"channel": "web"}, "2024-01-12"),
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=16))
def test_rebuilt_equals_incremental_in_any_split_of_batches(ledger, sizes):
    if not ledger.store.max_position():
        for i, (kind, customer, data, day) in enumerate(RICH):
            ledger.append(kind, customer, data, occurred_at=day, event_id=f"x{i}")
        ledger.correct("x4", {"score": 5})
        ledger.void("x7", "duplicate")
        ledger.correct("x1", {"amount": "12.00"})
        ops.rebuild(ledger, progress=False)
    with ledger.store.engine.connect() as connection:
        meta = ProjectionState(ledger.store).read(connection)
    rebuilt = rows_of(ledger, lambda name: meta[name].generation)
    generation = 1000 + len(sizes) * 31 + sum(sizes)
    try:
        build_incrementally(ledger, generation, sizes)
        assert rows_of(ledger, lambda name: generation) == rebuilt
    finally:
        drop_generation(ledger, generation)


def test_a_rebuild_scans_with_a_small_sqlite_cache_and_gives_the_connection_back_as_it_was(sqlite_url, monkeypatch):
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger:
        _seed(ledger)
        seen = []
        scan = rebuild_module.scan_streams

        def watched_scan(store, connection, *args, **kwargs):
            driver = connection.connection.driver_connection
            seen.append((driver, driver.execute("PRAGMA cache_size").fetchone()[0]))
            yield from scan(store, connection, *args, **kwargs)

        monkeypatch.setattr(rebuild_module, "scan_streams", watched_scan)
        ops.rebuild(ledger, progress=False)
        [(driver, during)] = seen
        assert during == -SCAN_CACHE_KIB
        assert driver.execute("PRAGMA cache_size").fetchone()[0] == -SQLITE_CACHE_KIB
