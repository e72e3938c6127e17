"""A full disk and a read-only file system under a SQLite ledger: one line, exit 1, no traceback, nothing half-written.

The database lives on a small tmpfs mounted for the test (root only; skipped with the reason otherwise).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from ledger.application import Ledger
from ledger.config import LedgerConfig

DISK = "2m"


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """Mount a tmpfs of 2 MiB for the test's database; unmount it after."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def remount(mount_point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount_point)], check=True)


def events_file(path: Path, count: int) -> Path:
    """Write count valid JSON lines: contacts and purchases of 200 customers, about 1 KiB each once stored and indexed."""
    lines = []
    for n in range(count):
        customer = f"C-{n % 200}"
        if n % 4 == 0:
            line = {
                "type": "purchase",
                "customer": customer,
                "event_id": f"e{n}",
                "data": {"order_id": f"O-{n}", "amount": "9.99"},
            }
        else:
            line = {"type": "contact", "customer": customer, "event_id": f"e{n}", "data": {"channel": "web", "topic": "x" * 200}}
        lines.append(json.dumps({**line, "occurred_at": "2024-05-01"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args: str) -> Result:
    """Run a command; it must not wait out SQLite's 30 s busy timeout (a full disk is no lock to wait for)."""
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args))
    assert time.monotonic() - started < 10, args
    return result


def assert_one_line_error(result: Result) -> str:
    assert result.exit_code == 1, (result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def fill(mount_point: Path) -> Path:
    """Take every free byte of the file system with a file of zeros."""
    filler = mount_point / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    assert os.statvfs(mount_point).f_bavail == 0
    return filler


def test_an_import_that_fills_the_disk_stops_in_one_line_and_keeps_whole_batches(small_disk, tmp_path):
    db = small_disk / "ledger.db"
    source = events_file(tmp_path / "events.jsonl", 6000)  # several times what 2 MiB holds
    line = assert_one_line_error(run("--db", str(db), "import", str(source)))
    assert "full" in line and "import stopped" in line, line
    with Ledger(f"sqlite:///{db}", config=LedgerConfig()) as ledger:
        stored = ledger.store.max_position()
        assert 0 < stored < 6000
        # Whole batches only, each customer's chain intact, the side tables as the log gives them.
        assert ledger.verify().events == stored
        assert {e.event_id for e in ledger.log(limit=stored)} == {f"e{n}" for n in range(stored)}
    remount(small_disk, "size=64m")
    completed = run("--db", str(db), "import", str(source))
    assert completed.exit_code == 0, completed.output
    assert f"duplicates {stored}" in completed.stderr
    assert run("--db", str(db), "verify").exit_code == 0


def test_a_digest_on_a_full_disk_fails_in_one_line_and_the_log_still_verifies(small_disk):
    db = small_disk / "ledger.db"
    with Ledger(f"sqlite:///{db}", config=LedgerConfig()) as ledger:
        for n in range(20):
            ledger.append("purchase", f"C-{n}", {"order_id": "O-1", "amount": "5"})
    filler = fill(small_disk)
    assert_one_line_error(run("--db", str(db), "digest"))
    assert_one_line_error(run("--db", str(db), "append", "contact", "--customer", "C-1", "channel=web"))
    verified = run("--db", str(db), "verify")
    # Opening a WAL database may need a page of the disk (its shared-memory index): then it says so in one line.
    if verified.exit_code != 0:
        assert "disk I/O error" in assert_one_line_error(verified)
    else:
        assert "ok: 20 events" in verified.stdout
    filler.unlink()
    assert "ok: 20 events" in run("--db", str(db), "verify").stdout
    digest = run("--db", str(db), "digest")
    assert digest.exit_code == 0, digest.output
    assert json.loads(digest.stdout)["position"] == 20


def test_a_read_only_file_system_refuses_writes_in_one_line(small_disk, tmp_path):
    db = small_disk / "ledger.db"
    with Ledger(f"sqlite:///{db}", config=LedgerConfig()) as ledger:
        ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "5"})
        ledger.rebuild(progress=False)
    remount(small_disk, "ro")
    source = events_file(tmp_path / "events.jsonl", 10)
    for args in (["import", str(source)], ["append", "contact", "--customer", "C-1", "channel=web"], ["digest"]):
        assert_one_line_error(run("--db", str(db), *args))
    for args in (["verify"], ["timeline", "C-1"], ["profile", "C-1"], ["projections", "status"]):
        result = run("--db", str(db), *args)
        assert "Traceback" not in result.output
        if result.exit_code != 0:  # SQLite may refuse to open a WAL database it cannot write beside: in one line
            assert_one_line_error(result)
    remount(small_disk, "rw")
    with Ledger(f"sqlite:///{db}", config=LedgerConfig()) as ledger:
        assert ledger.store.max_position() == 1
        assert ledger.verify().events == 1
