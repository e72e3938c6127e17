"""The privacy commands: keys init, erase, and timeline/log masking personal fields unless --show-personal."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main
from ledger.privacy.master_key import KEY_ENV, KEY_FILE_ENV


@pytest.fixture
def run(db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(KEY_ENV, raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", db_url, *args])

    return invoke


def test_keys_init_erase_and_masked_reads(run, tmp_path, monkeypatch):
    created = run("keys", "init", str(tmp_path / "master.key"))
    assert created.exit_code == 0 and "written to" in created.stderr
    assert run("keys", "init", str(tmp_path / "master.key")).exit_code == 1  # never overwritten
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "master.key"))
    assert run("append", "customer_registered", "--customer", "C-1", "email=ana@example.com", "name=Ana Li").exit_code == 0
    assert run("append", "purchase", "--customer", "C-1", "order_id=O-1", "amount=12.00").exit_code == 0
    masked = run("timeline", "C-1", "--json")
    assert masked.exit_code == 0 and "ana@example.com" not in masked.stdout
    assert json.loads(masked.stdout.splitlines()[0])["data"]["email"] == "a***@example.com"
    shown = run("timeline", "C-1", "--json", "--show-personal")
    assert json.loads(shown.stdout.splitlines()[0])["data"]["email"] == "ana@example.com"
    assert "ana@example.com" not in run("log").stdout and "ana@example.com" in run("log", "--show-personal").stdout
    erased = run("erase", "C-1", "--reason", "request 7", "--actor", "dpo", "--json")
    assert erased.exit_code == 0, erased.output
    receipt = json.loads(erased.stdout)
    assert (receipt["customer"], receipt["actor"], receipt["key_destroyed"]) == ("C-1", "dpo", True)
    after = run("timeline", "C-1", "--json", "--show-personal").stdout.splitlines()
    assert json.loads(after[0])["data"]["email"] == "[erased]" and json.loads(after[-1])["type"] == "customer_erased"
    assert run("erase", "C-1", "--reason", "again").exit_code == 1
    assert run("verify").exit_code == 0


def test_a_missing_or_wrong_master_key_exits_1(run, tmp_path, monkeypatch):
    run("keys", "init", str(tmp_path / "one.key"))
    run("keys", "init", str(tmp_path / "two.key"))
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "one.key"))
    assert run("append", "contact", "--customer", "C-1", "channel=web", "note=hello").exit_code == 0
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "two.key"))
    wrong = run("timeline", "C-1", "--show-personal")
    assert wrong.exit_code == 1 and "is not the one that wraps" in wrong.stderr
    monkeypatch.delenv(KEY_FILE_ENV)
    missing = run("timeline", "C-1", "--show-personal")
    assert missing.exit_code == 1 and "no master key is configured" in missing.stderr
    assert run("timeline", "C-1").exit_code == 0  # masked reads need no key
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "absent.key"))
    unreadable = run("timeline", "C-1")
    assert unreadable.exit_code == 1 and "cannot read the master key file" in unreadable.stderr
