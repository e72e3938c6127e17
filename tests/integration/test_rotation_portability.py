"""Master key rotation (one transaction, also when killed part-way) and a customer's portable export."""

from __future__ import annotations

import base64
import csv
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from ledger import Ledger
from ledger.config import LedgerConfig
from ledger.privacy.cipher import unwrap_key
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.master_key import KEY_ENV, MasterKey, create_key_file
from ledger.storage.side_tables import data_keys_table


def open_with(url: str, key: MasterKey, monkeypatch) -> Ledger:
    monkeypatch.setenv(KEY_ENV, base64.b64encode(key.secret).decode())
    return Ledger(url, config=LedgerConfig())


def register(ledger: Ledger, count: int) -> None:
    lines = [
        {"type": "customer_registered", "customer": f"C-{n}", "occurred_at": "2024-01-01", "data": {"email": f"c{n}@example.com"}}
        for n in range(count)
    ]
    assert len(ledger.append_many(lines).stored) == count


def key_ids(ledger: Ledger) -> set[str]:
    with ledger.store.engine.connect() as connection:
        return set(connection.execute(select(data_keys_table.c.master_key_id)).scalars())


def test_rotation_rewraps_every_key_and_retires_the_old_master_key(db_url, tmp_path, monkeypatch):
    old, new = create_key_file(tmp_path / "old.key"), create_key_file(tmp_path / "new.key")
    with open_with(db_url, old, monkeypatch) as ledger:
        register(ledger, 20)
        before = [e.hash for e in ledger.log(limit=100)]
        result = ledger.rotate_master_key(tmp_path / "new.key")
        assert (result.rewrapped, result.old_master_key_id, result.new_master_key_id) == (20, old.key_id, new.key_id)
        assert key_ids(ledger) == {new.key_id}
        # This process still holds the old key: it may neither read nor wrap a new customer's key with it.
        with pytest.raises(MasterKeyError, match="is not the one that wraps"):
            ledger.timeline("C-3", personal=True)
        with pytest.raises(MasterKeyError, match="rotated"):
            ledger.append("customer_registered", "C-new", {"email": "new@example.com"})
    with open_with(db_url, new, monkeypatch) as ledger:
        assert ledger.timeline("C-3", personal=True)[0].data.email == "c3@example.com"
        assert [e.hash for e in ledger.log(limit=100)] == before  # no event re-encrypted
        ledger.append("customer_registered", "C-new", {"email": "new@example.com"})
        assert key_ids(ledger) == {new.key_id} and ledger.verify().events == 21
        with pytest.raises(MasterKeyError, match="is the current one"):
            ledger.rotate_master_key(new)


ROTATE = textwrap.dedent(
    """
    import sys, time
    from ledger import Ledger
    from ledger.config import LedgerConfig

    def progress(done, total):
        print(done, flush=True)
        time.sleep(30)  # the parent kills the process here, in the middle of the transaction

    with Ledger(sys.argv[1], config=LedgerConfig()) as ledger:
        ledger.rotate_master_key(sys.argv[2], on_progress=progress)
    """
)


@pytest.mark.slow
def test_a_rotation_killed_part_way_leaves_every_key_under_the_old_master_key(db_url, tmp_path, monkeypatch):
    old, new = create_key_file(tmp_path / "old.key"), create_key_file(tmp_path / "new.key")
    with open_with(db_url, old, monkeypatch) as ledger:
        register(ledger, 3000)
    env = {**os.environ, KEY_ENV: base64.b64encode(old.secret).decode()}
    child = subprocess.Popen(
        [sys.executable, "-c", ROTATE, db_url, str(tmp_path / "new.key")], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert int(child.stdout.readline()) == 1000  # a third of the keys rewritten, not committed
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with open_with(db_url, old, monkeypatch) as ledger:
        assert key_ids(ledger) == {old.key_id}
        with ledger.store.engine.connect() as connection:
            rows = connection.execute(select(data_keys_table.c.stream_id, data_keys_table.c.wrapped)).all()
        assert len(rows) == 3000
        for stream_id, wrapped in rows:
            unwrap_key(old.secret, wrapped, stream_id.bytes)  # raises if any key is not the old master key's
        assert ledger.timeline("C-2999", personal=True)[0].data.email == "c2999@example.com"
        assert ledger.rotate_master_key(new).rewrapped == 3000  # and a second attempt completes
    with open_with(db_url, new, monkeypatch) as ledger:
        assert key_ids(ledger) == {new.key_id}
        assert ledger.timeline("C-0", personal=True)[0].data.email == "c0@example.com"


def test_a_customer_export_is_decrypted_and_matches_the_audit_export(db_url, tmp_path, monkeypatch):
    key = create_key_file(tmp_path / "master.key")
    with open_with(db_url, key, monkeypatch) as ledger:
        ledger.append("customer_registered", "C-1", {"name": "Ana Li", "email": "ana@example.com"}, occurred_at="2024-01-01")
        ledger.append("purchase", "C-2", {"order_id": "O-2", "amount": "3.00"}, occurred_at="2024-01-01")
        ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "12.50"}, occurred_at="2024-01-02")
        ledger.grant_consent("C-1", "profiling", source="web", text_version="v1")
        done = ledger.export_customer("C-1", tmp_path / "out")
        assert (done.events, done.erased, done.head_position) == (3, False, 4)
        assert done.files == ["consent_granted.csv", "customer_registered.csv", "events.json", "manifest.json", "purchase.csv"]
        events = json.loads((tmp_path / "out" / "events.json").read_text())
        assert events[0]["data"]["email"] == "ana@example.com" and events[1]["data"]["amount"] == "12.50"
        with (tmp_path / "out" / "customer_registered.csv").open() as file:
            assert next(csv.DictReader(file))["name"] == "Ana Li"
        manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
        audit = [json.loads(line) for line in b"".join(ledger.export_events()).splitlines()]
        stored = {line["position"]: line["state"]["hash"] for line in audit[:-1]}
        assert [(e["position"], e["hash"]) for e in manifest["events"]] == [(p, stored[p]) for p in (1, 3, 4)]
        assert manifest["log_root"] == audit[-1]["export"]["log_root"]
        with pytest.raises(Exception, match="not an empty directory"):
            ledger.export_customer("C-1", tmp_path / "out")
        ledger.erase("C-1", "request")
        after = ledger.export_customer("C-1", tmp_path / "after")
        assert after.erased and after.events == 4
        written = b"".join(path.read_bytes() for path in (tmp_path / "after").iterdir())
        assert b"ana@example.com" not in written and b"Ana Li" not in written and b"12.50" in written
        assert json.loads((tmp_path / "after" / "events.json").read_text())[-1]["type"] == "customer_erased"
