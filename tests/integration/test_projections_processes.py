"""Projections across real processes: a rebuild killed with SIGKILL, a follower stopped with SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from ledger.storage.projection_state import ProjectionState
from projections import registry
from tests.projection_batches import read_model_tables, rows_of

ROOT = Path(__file__).parents[2]

# Runs the CLI with the rebuild's bulk writes slowed down after their first flush,
# so that the test can kill it at a known point: new tables filled, no switch yet.
SLOW_REBUILD = """
import sys, time
from pathlib import Path
import ledger.rebuild as rebuild
flush = rebuild._flush
def flush_then_wait(*args):
    flush(*args)
    Path(sys.argv[1]).write_text("flushed")
    time.sleep(120)
rebuild._flush = flush_then_wait
from cli import main
main(sys.argv[2:])
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from cli import main; main(sys.argv[1:])", *args]


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _seed(ledger, customers: int) -> None:
    events = []
    for n in range(customers):
        key = f"C-{n}"
        events.append({"type": "contact", "customer": key, "occurred_at": "2024-01-01", "data": {"channel": "phone"}})
        events.append(
            {"type": "purchase", "customer": key, "occurred_at": "2024-01-02", "data": {"order_id": f"O-{n}", "amount": "10.00"}}
        )
    ledger.append_many(events, strict=True)


def test_a_rebuild_killed_mid_way_leaves_the_old_tables_serving_and_the_next_rebuild_completes(ledger, db_url, tmp_path):
    _seed(ledger, 50)
    ledger.rebuild(progress=False)
    ledger.append("purchase", "C-1", {"order_id": "O-late", "amount": "5.00"}, occurred_at="2024-02-01")
    marker = tmp_path / "flushed"
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_REBUILD, str(marker), "--db", db_url, "projections", "rebuild"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert _wait_for(marker.exists, 60), process.stderr.read().decode() if process.poll() is not None else "no flush"
        # Mid-rebuild, queries answer from the old tables.
        assert ledger.profile("C-1").spend == {"EUR": "15.00"}
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    states = [s.state for s in ledger.projections_status()]
    assert all("rebuild to generation 2 under way or interrupted" in s for s in states), states
    with ledger.store.engine.connect() as connection:
        half = registry.tables_for("profiles", 2)["customers"]
        assert connection.execute(select(half.c.customer)).first() is not None  # the killed rebuild had written rows
    # Generation 1 still serves; the profile folds the event appended before the kill from the log.
    assert ledger.profile("C-1").spend == {"EUR": "15.00"}

    assert ledger.rebuild(progress=False).events == 101
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
    assert ledger.profile("C-1").spend == {"EUR": "15.00"}
    assert ledger.profile("C-49").purchases == 1


def test_run_follow_shows_a_new_event_within_a_second_and_stops_on_sigterm(ledger, db_url):
    _seed(ledger, 3)
    follower = subprocess.Popen(
        _cli("--db", db_url, "projections", "run", "--follow"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # The follower builds the projections on start; wait until it has caught up.
        assert _wait_for(lambda: [s.behind for s in ledger.projections_status()] == [0, 0, 0], 60), follower.stderr
        table = registry.tables_for("profiles", 1)["customers"]

        def contacts_of_c9() -> int | None:
            with ledger.store.engine.connect() as connection:
                return connection.execute(select(table.c.contacts).where(table.c.customer == "C-9")).scalar()

        ledger.append("contact", "C-9", {"channel": "web"}, occurred_at="2024-05-01")
        appended = time.monotonic()
        assert _wait_for(lambda: contacts_of_c9() == 1, 5)
        assert time.monotonic() - appended < 1.0
    finally:
        follower.send_signal(signal.SIGTERM)
        _, stderr = follower.communicate(timeout=10)
    assert follower.returncode == 0, stderr.decode()
    assert "applied" in stderr.decode()


def test_a_rebuild_while_a_follower_runs_and_events_arrive_ends_current_and_complete(ledger):
    _seed(ledger, 30)
    stop = threading.Event()
    follower = threading.Thread(target=ledger.follow, kwargs={"stop": stop})
    follower.start()

    def append_some() -> None:
        for n in range(60):
            ledger.append("contact", f"L-{n % 7}", {"channel": "email"}, occurred_at="2024-03-01", event_id=f"late-{n}")

    appender = threading.Thread(target=append_some)
    try:
        appender.start()
        ledger.rebuild(progress=False)
        appender.join(timeout=60)
        assert _wait_for(lambda: [s.behind for s in ledger.projections_status()] == [0, 0, 0], 10)
    finally:
        stop.set()
        follower.join(timeout=10)
    assert not follower.is_alive()
    # The follower built the projections first and the rebuild replaced them (generation 2), or the
    # rebuild came first and the follower, waiting for it, found them built (generation 1).
    generation = ledger.projections_status()[0].generation
    assert generation in (1, 2)
    assert sum(ledger.profile(f"L-{n}").contacts for n in range(7)) == 60
    with ledger.store.engine.connect() as connection:
        meta = ProjectionState(ledger.store).read(connection)
    followed = rows_of(ledger, lambda name: meta[name].generation)
    ledger.rebuild(progress=False)
    assert rows_of(ledger, lambda name: generation + 1) == followed
