"""Tampering made directly in the database is caught by verify, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from cli import main
from commands.records import seal, stream_id_for
from ledger.application import Ledger
from ledger.audit import verify
from ledger.audit.chain import checkpoints_table
from ledger.audit.digest import InvalidDigestError, read_digest
from ledger.audit.verify import Digest, VerificationFailedError
from ledger.storage.persistence import SQLITE_CACHE_KIB
from ledger.storage.store import SCAN_CACHE_KIB
from tests.format_1 import rewrite_in_format_1


@pytest.fixture(autouse=True, params=["one process", "two processes"])
def processes(request, monkeypatch) -> None:
    """Run every test with the whole log checked in this process, and with its second half in another."""
    if request.param == "two processes":
        monkeypatch.setattr(verify, "TWO_PROCESSES_FROM", 2)


def fill(ledger: Ledger, rounds: int = 4) -> None:
    """Positions 1..12: C-1 at 1, 4, 7, 10; C-2 at 2, 5, 8, 11; C-3 at 3, 6, 9, 12."""
    for n in range(rounds):
        for customer in ("C-1", "C-2", "C-3"):
            ledger.append(
                "contact", customer, {"channel": "web", "topic": f"t{n}"}, occurred_at="2024-01-01", event_id=f"{customer}-{n}"
            )


def execute(ledger: Ledger, statement) -> None:
    with ledger.store.engine.begin() as connection:
        connection.execute(statement)


def raw(ledger: Ledger, position: int):
    table = ledger.store.events_table
    with ledger.store.engine.connect() as connection:
        return connection.execute(select(table).where(table.c.id == position)).one()


def failure(ledger: Ledger, digest: Digest | None = None) -> VerificationFailedError:
    with pytest.raises(VerificationFailedError) as caught:
        ledger.verify(digest)
    return caught.value


def as_digest(ledger: Ledger) -> Digest:
    document = ledger.digest()
    return Digest(document.position, document.root)


def test_untampered_ledger_verifies(ledger: Ledger, db_url):
    fill(ledger)
    report = ledger.verify()
    assert (report.events, report.streams) == (12, 3)
    result = CliRunner().invoke(main, ["--db", db_url, "verify"])
    assert result.exit_code == 0
    assert result.output.startswith("ok: 12 events in 3 streams")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_ledger_verifies_in_this_process(url):
    """Another process would open an empty database of its own."""
    with Ledger(url) as ledger:
        fill(ledger)
        assert (ledger.verify().events, ledger.verify().streams) == (12, 3)


def test_verify_reads_the_log_with_a_small_sqlite_cache_and_gives_the_connection_back_as_it_was(sqlite_url, monkeypatch):
    """A scan fills no 256 MiB page cache: in a cold process its page faults cost a verify a quarter of its time."""
    with Ledger(sqlite_url) as ledger:
        fill(ledger)
        seen = []
        scan_connection = ledger.store.scan_connection

        @contextmanager
        def watched():
            with scan_connection() as connection:
                driver = connection.connection.driver_connection
                seen.append((driver, driver.execute("PRAGMA cache_size").fetchone()[0]))
                yield connection

        monkeypatch.setattr(ledger.store, "scan_connection", watched)
        assert ledger.verify().events == 12
        # This process's part of the chains, then the side tables; a second process scans its own.
        assert len(seen) == 2
        for driver, during in seen:
            assert during == -SCAN_CACHE_KIB
            assert driver.execute("PRAGMA cache_size").fetchone()[0] == -SQLITE_CACHE_KIB


def test_a_second_process_that_dies_is_reported(ledger: Ledger, monkeypatch):
    fill(ledger)
    monkeypatch.setattr(verify, "TWO_PROCESSES_FROM", 2)
    monkeypatch.setattr(verify, "_check_part", lambda *_: os._exit(7))
    with pytest.raises(RuntimeError, match=r"second process ended without a result \(exit code 7\)"):
        ledger.verify()


def test_a_second_process_that_fails_is_reported(ledger: Ledger, monkeypatch):
    def unopenable(_url):
        raise ValueError("boom")

    fill(ledger)
    monkeypatch.setattr(verify, "TWO_PROCESSES_FROM", 2)
    monkeypatch.setattr(verify, "EventStore", unopenable)
    with pytest.raises(RuntimeError, match=r"second process failed: ValueError\('boom'\)"):
        ledger.verify()


def test_empty_ledger_verifies(ledger: Ledger, db_url):
    assert ledger.verify().events == 0
    result = CliRunner().invoke(main, ["--db", db_url, "verify"])
    assert (result.exit_code, result.output) == (0, "ledger is empty: nothing to verify\n")


def test_one_changed_byte_is_caught(ledger: Ledger, db_url):
    fill(ledger)
    state = bytes(raw(ledger, 5).state).replace(b'"t1"', b'"t7"')
    execute(ledger, update(ledger.store.events_table).where(ledger.store.events_table.c.id == 5).values(state=state))
    error = failure(ledger)
    assert (error.position, error.customer, error.event_id) == (5, "C-2", "C-2-1")
    assert "content changed" in error.problem
    result = CliRunner().invoke(main, ["--db", db_url, "verify"])
    assert result.exit_code == 3
    assert "verification failed at position 5, customer 'C-2', event C-2-1: content changed" in result.output


def test_event_deleted_in_the_middle_of_a_stream(ledger: Ledger):
    fill(ledger)
    execute(ledger, delete(ledger.store.events_table).where(ledger.store.events_table.c.id == 4))
    error = failure(ledger)
    assert error.position == 4
    assert "event missing" in error.problem


def test_newest_event_deleted_after_a_digest(ledger: Ledger):
    fill(ledger)
    digest = as_digest(ledger)
    execute(ledger, delete(ledger.store.events_table).where(ledger.store.events_table.c.id == 12))
    assert "a digest covers 12" in failure(ledger).problem  # the stored checkpoint catches it
    execute(ledger, delete(checkpoints_table))  # and the digest kept outside catches it even without checkpoints
    error = failure(ledger, digest)
    assert error.position == 12
    assert error.problem == "event missing: the log ends at 11 but a digest covers 12"


def test_two_events_swapped(ledger: Ledger):
    fill(ledger)
    table = ledger.store.events_table
    execute(ledger, update(table).where(table.c.id == 4).values(id=-4))
    execute(ledger, update(table).where(table.c.id == 7).values(id=4))
    execute(ledger, update(table).where(table.c.id == -4).values(id=7))
    error = failure(ledger)
    assert (error.position, error.event_id) == (4, "C-1-2")
    assert "event missing: stream version 2 is absent" in error.problem


def test_events_of_different_streams_swapped(ledger: Ledger):
    fill(ledger)
    table = ledger.store.events_table
    execute(ledger, update(table).where(table.c.id == 4).values(id=-4))
    execute(ledger, update(table).where(table.c.id == 5).values(id=4))
    execute(ledger, update(table).where(table.c.id == -4).values(id=5))
    error = failure(ledger)
    assert (error.position, error.event_id) == (4, "C-2-1")
    assert "event moved" in error.problem


def test_forged_event_with_a_plausible_hash(ledger: Ledger):
    fill(ledger)
    genuine = raw(ledger, 7)
    state = orjson.loads(bytes(genuine.state))
    del state["hash"]
    state["data"]["topic"] = "forged"
    forged, _ = seal(7, str(stream_id_for("C-1")), 3, state)  # self-consistent, as a forger would make it
    table = ledger.store.events_table
    execute(ledger, update(table).where(table.c.id == 7).values(state=forged))
    error = failure(ledger)
    assert (error.position, error.event_id) == (10, "C-1-3")
    assert "foreign event inserted or order changed: the chain does not link to position 7" in error.problem


def test_event_relinked_past_its_predecessor(ledger: Ledger):
    """Position 7 is C-1's first event in the second half, so two processes catch this where they join."""
    fill(ledger)
    state = orjson.loads(bytes(raw(ledger, 7).state))
    del state["hash"]
    state["prev_hash"] = orjson.loads(bytes(raw(ledger, 1).state))["hash"]
    relinked, _ = seal(7, str(stream_id_for("C-1")), 3, state)
    execute(ledger, update(ledger.store.events_table).where(ledger.store.events_table.c.id == 7).values(state=relinked))
    error = failure(ledger)
    assert (error.position, error.event_id) == (7, "C-1-2")
    assert error.problem == "foreign event inserted or order changed: the chain does not link to position 4"


def test_foreign_stream_event_is_caught(ledger: Ledger):
    fill(ledger)
    state = orjson.loads(bytes(raw(ledger, 12).state))
    del state["hash"]
    state["customer"] = "C-1"
    forged, _ = seal(12, str(stream_id_for("C-3")), 4, state)
    table = ledger.store.events_table
    execute(ledger, update(table).where(table.c.id == 12).values(state=forged))
    assert "foreign event inserted: stream does not belong" in failure(ledger).problem


def test_events_stored_in_hash_format_1_still_verify(ledger: Ledger):
    fill(ledger, rounds=2)
    rewrite_in_format_1(ledger)
    assert b'"hash_format"' not in bytes(raw(ledger, 5).state)
    fill(ledger, rounds=4)  # positions 7-12: format-2 events chained onto format-1 ones
    assert b'"hash_format":2' in bytes(raw(ledger, 7).state)
    assert ledger.verify().events == 12
    state = bytes(raw(ledger, 5).state).replace(b'"t1"', b'"t7"')
    execute(ledger, update(ledger.store.events_table).where(ledger.store.events_table.c.id == 5).values(state=state))
    error = failure(ledger)
    assert (error.position, error.event_id) == (5, "C-2-1")
    assert "content changed" in error.problem


def test_restored_older_copy_after_a_digest(ledger: Ledger, db_url, tmp_path):
    fill(ledger, rounds=2)
    if db_url.startswith("sqlite"):
        database = db_url.removeprefix("sqlite:///")
        ledger.store.close()  # every connection, the kept write connection too
        shutil.copy(database, tmp_path / "backup.db")
    fill(ledger, rounds=4)
    digest = as_digest(ledger)
    if db_url.startswith("sqlite"):
        ledger.store.close()  # every connection, the kept write connection too
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"ledger.db{suffix}").unlink(missing_ok=True)
        shutil.copy(tmp_path / "backup.db", database)
    else:  # PostgreSQL: a restore of the older state is the later rows vanishing
        execute(ledger, delete(ledger.store.events_table).where(ledger.store.events_table.c.id > 6))
        execute(ledger, delete(checkpoints_table))
    error = failure(ledger, digest)
    assert error.position == 7
    assert error.problem == "event missing: the log ends at 6 but a digest covers 12"


def test_the_first_of_a_checkpoint_failure_and_an_event_failure_is_reported(ledger: Ledger):
    """With two processes, position 9 and later are checked in the second one while this one extends the root."""
    fill(ledger, rounds=3)
    ledger.digest()  # a checkpoint at 9
    for customer in ("C-1", "C-2", "C-3"):
        ledger.append("contact", customer, {"channel": "web", "topic": "t3"}, occurred_at="2024-01-01", event_id=f"{customer}-3")
    execute(ledger, update(checkpoints_table).where(checkpoints_table.c.position == 9).values(root="0" * 64))
    assert (failure(ledger).position, failure(ledger).problem) == (
        9,
        "digest mismatch: the log up to here differs from a checkpoint or digest",
    )
    table = ledger.store.events_table
    for position, topic, first_failure in ((11, b'"t3"', 9), (7, b'"t2"', 7)):
        state = bytes(raw(ledger, position).state).replace(topic, b'"t8"')
        execute(ledger, update(table).where(table.c.id == position).values(state=state))
        assert failure(ledger).position == first_failure


def test_later_events_only_extend_a_digest(ledger: Ledger, db_url, tmp_path):
    fill(ledger, rounds=2)
    (tmp_path / "digest.json").write_text(CliRunner().invoke(main, ["--db", db_url, "digest"]).output)
    assert json.loads((tmp_path / "digest.json").read_text())["position"] == 6
    fill(ledger, rounds=4)
    result = CliRunner().invoke(main, ["--db", db_url, "verify", "--digest", str(tmp_path / "digest.json")])
    assert result.exit_code == 0, result.output
    assert "digest at position 6 proven" in result.output


def test_a_file_that_is_not_our_digest(ledger: Ledger, db_url, tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"position": 3}')
    result = CliRunner().invoke(main, ["--db", db_url, "verify", "--digest", str(path)])
    assert result.exit_code == 1
    assert "not a ledger digest" in result.output
    with pytest.raises(InvalidDigestError, match="not JSON"):
        read_digest("hello", "x")


def test_digest_extends_from_the_last_checkpoint(ledger: Ledger):
    fill(ledger, rounds=2)
    first = ledger.digest()
    fill(ledger, rounds=4)
    second = ledger.digest()
    execute(ledger, delete(checkpoints_table))
    recomputed = ledger.digest()  # from scratch, over the whole log
    assert (first.position, second.position) == (6, 12)
    assert recomputed.root == second.root != first.root


@pytest.fixture(scope="module")
def hundred_thousand_events(tmp_path_factory) -> str:
    """Return the URL of a SQLite ledger of 100,000 events in 5,000 streams with one checkpoint, built once.

    Both ways of verifying read the same file: verify never writes, so neither can change what the other sees.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('hundred_thousand') / 'ledger.db'}"
    with Ledger(url) as ledger:
        for start in range(0, 100_000, 5_000):
            batch = [
                {
                    "type": "contact",
                    "customer": f"C-{n % 5_000}",
                    "occurred_at": "2024-01-01",
                    "event_id": f"e{n}",
                    "data": {"channel": "web"},
                }
                for n in range(start, start + 5_000)
            ]
            assert len(ledger.append_many(batch).stored) == 5_000
        ledger.digest()
    return url


@pytest.mark.slow
def test_hundred_thousand_untampered_events_verify(hundred_thousand_events):
    result = CliRunner().invoke(main, ["--db", hundred_thousand_events, "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 100000 events in 5000 streams, 1 checkpoints")
