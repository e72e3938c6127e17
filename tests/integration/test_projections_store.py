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
from ledger import rebuild as rebuild_module
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.storage.persistence import SQLITE_CACHE_KIB
from ledger.storage.projection_state import ProjectionState
from ledger.storage.store import SCAN_CACHE_KIB
from projections import registry
from tests.projection_batches import build_incrementally, drop_generation, read_model_tables, rows_of


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
    assert {s.state for s in ledger.projections_status()} == {"never built: run `ledger projections rebuild`"}
    assert ledger.rebuild(progress=False).events == 7
    assert [(s.name, s.position, s.behind, s.state) for s in ledger.projections_status()] == [
        ("profiles", 7, 0, "current"),
        ("complaints", 7, 0, "current"),
        ("satisfaction", 7, 0, "current"),
    ]
    before = ledger.profile("C-1")
    assert (before.spend, before.refunds, before.purchases, before.last_nps) == ({"EUR": "130.00"}, {"EUR": "20.00"}, 2, 3)
    known = datetime.now(UTC)
    time.sleep(0.01)
    ledger.void("p2", "test order")
    ledger.correct("s1", {"score": 10}, reason="typo")
    assert ledger.projections_status()[0].behind == 2
    # A profile folds the customer's stream when its read model is behind: its figures are current.
    after = ledger.profile("C-1")
    assert (after.spend, after.purchases, after.purchase_days, after.last_nps) == ({"EUR": "80.00"}, 1, 1, 10)
    assert after.behind == 2
    # A list answers from the read models as they stand, and says how far behind they are.
    february = {"by": "month", "start": date(2024, 2, 1), "end": date(2024, 2, 29)}
    stale = ledger.trends(**february)
    assert (stale.behind, stale[0].nps) == (2, -100.0)
    assert ledger.projections_status()[0].behind == 2  # the queries wrote nothing
    assert ledger.catch_up(progress=False) == 2
    then = ledger.profile("C-1", known_at=known)
    assert (then.spend, then.last_nps) == ({"EUR": "130.00"}, 3)
    assert ledger.profile("C-1", as_of="2024-02-10", known_at=known).spend == {"EUR": "150.00"}
    feb = ledger.trends(**february)
    assert feb.behind == 0
    assert [(row.period, row.nps, row.nps_answers) for row in feb] == [("2024-02", 100.0, 1)]
    (old,) = ledger.trends(**february, known_at=known)
    assert old.nps == -100.0
    (k,) = ledger.complaints()
    assert (k.state, k.first_response_hours, k.resolution_hours, k.response_met, k.resolution_met) == (
        "resolved",
        12.0,
        12.0,
        False,
        True,
    )


def test_queries_on_read_models_never_built_replay_the_log_and_build_nothing(ledger):
    _seed(ledger)
    listed = ledger.customers()
    assert ([row.customer for row in listed], listed.behind) == (["C-1", "C-2"], 7)
    assert ledger.profile("C-1").spend == {"EUR": "130.00"}
    (feb,) = ledger.trends(by="month", start=date(2024, 2, 1), end=date(2024, 2, 29))
    assert feb.nps == -100.0
    assert ledger.complaints().behind == 7
    with ledger.store.engine.connect() as connection:
        assert not [name for name in inspect(connection).get_table_names() if name.startswith(("lp_", "ledger_projection"))]
    assert {s.state for s in ledger.projections_status()} == {"never built: run `ledger projections rebuild`"}
    ledger.rebuild(progress=False)
    assert ledger.customers() == dataclasses.replace(listed, behind=0)
    assert ledger.complaints().behind == 0


def test_replay_as_of_today_matches_the_tables(ledger):
    _seed(ledger)
    today = datetime.now(UTC).date().isoformat()
    assert ledger.customers(as_of=today) == ledger.customers()


def test_version_mismatch_is_reported_until_rebuilt(ledger, monkeypatch):
    _seed(ledger)
    ledger.rebuild(progress=False)
    built = registry.PROJECTIONS["profiles"].version
    newer = dataclasses.replace(registry.PROJECTIONS["profiles"], version=built + 1)
    monkeypatch.setitem(registry.PROJECTIONS, "profiles", newer)
    assert ledger.projections_status()[0].state == f"needs rebuild (built by version {built})"
    with pytest.raises(ProjectionOutdatedError, match="ledger projections rebuild profiles"):
        ledger.profile("C-1")
    ledger.rebuild(["profiles"], progress=False)
    assert ledger.projections_status()[0].state == "current"
    assert ledger.profile("C-1").purchases == 2


def test_a_crashed_rebuild_leaves_the_old_tables_serving_and_the_next_one_restarts(ledger, monkeypatch):
    _seed(ledger)
    ledger.rebuild(progress=False)
    ledger.append("purchase", "C-1", {"order_id": "O-3", "amount": "5.00"}, occurred_at="2024-04-01")

    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(rebuild_module, "_flush", crash)
    with pytest.raises(RuntimeError):
        ledger.rebuild(progress=False)
    monkeypatch.undo()
    assert "rebuild to generation 2 under way or interrupted" in ledger.projections_status()[0].state
    assert ledger.profile("C-1").purchases == 3  # generation 1 serves, behind: the stream is folded
    with ledger.store.engine.connect() as connection:
        assert "lp_profiles_g2_customers" in inspect(connection).get_table_names()
    ledger.rebuild(progress=False)
    assert read_model_tables(ledger) == [
        "lp_complaints_g3_complaints",
        "lp_complaints_g3_resolutions",
        "lp_profiles_g3_customers",
        "lp_profiles_g3_purchase_amounts",
        "lp_profiles_g3_purchase_days",
        "lp_profiles_g3_purchase_refunds",
        "lp_satisfaction_g3_answers",
        "lp_satisfaction_g3_sent",
    ]
    assert [s.state for s in ledger.projections_status()] == ["current"] * 3
    assert ledger.profile("C-1").spend == {"EUR": "135.00"}


def _rows_after_rebuild(ledger) -> dict:
    ledger.rebuild(progress=False)
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
    ledger.rebuild(progress=False)
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
        ledger.rebuild(progress=False)
    assert ledger.profile("C-1").purchases == 2  # generation 1 serves
    monkeypatch.setattr(rebuild_module, "_flush", flush)
    ledger.rebuild(progress=False)
    assert [s.state for s in ledger.projections_status()] == ["current"] * 3


def test_follow_sees_a_new_event_within_a_second(ledger):
    _seed(ledger)
    ledger.rebuild(progress=False)
    stop = threading.Event()
    follower = threading.Thread(target=ledger.follow, kwargs={"stop": stop})
    follower.start()
    try:
        ledger.append("contact", "C-3", {"channel": "phone"}, occurred_at="2024-05-01")
        appended = time.monotonic()
        while ledger.projections_status()[0].behind and time.monotonic() - appended < 1.0:
            time.sleep(0.02)
        assert ledger.projections_status()[0].position == 8
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
        ledger.rebuild(progress=False)
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
        ledger.rebuild(progress=False)
        [(driver, during)] = seen
        assert during == -SCAN_CACHE_KIB
        assert driver.execute("PRAGMA cache_size").fetchone()[0] == -SQLITE_CACHE_KIB
