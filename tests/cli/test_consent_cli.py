"""The consent, restriction, portability and key-rotation commands, end to end."""

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


def test_consent_customers_filter_and_restriction(run):
    assert run("append", "purchase", "--customer", "C-1", "--at", "2024-01-02", "order_id=O-1", "amount=5.00").exit_code == 0
    assert run("append", "purchase", "--customer", "C-2", "--at", "2024-01-02", "order_id=O-2", "amount=5.00").exit_code == 0
    grant = ["consent_granted", "--customer", "C-1", "--at", "2024-02-01", "purpose=marketing_email", "source=form"]
    assert run("append", *grant, "text_version=v3").exit_code == 0
    shown = run("consent", "C-1", "--json")
    assert shown.exit_code == 0, shown.output
    first = json.loads(shown.stdout.splitlines()[0])
    assert (first["purpose"], first["state"], first["text_version"], first["position"]) == ("marketing_email", "granted", "v3", 3)
    assert json.loads(run("consent", "C-1", "--as-of", "2024-01-31", "--json").stdout.splitlines()[0])["state"] == "none"
    listed = run("customers", "--consent", "marketing_email", "--json")
    assert [json.loads(line)["customer"] for line in listed.stdout.splitlines()] == ["C-1"]
    unknown = run("customers", "--consent", "newsletter")
    assert unknown.exit_code == 2 and "unknown purpose 'newsletter'" in unknown.stderr
    bad = run("append", "consent_granted", "--customer", "C-1", "purpose=newsletter", "source=form", "text_version=v1")
    assert bad.exit_code == 1 and "unknown purpose 'newsletter'" in bad.stderr
    restricted = run("restrict", "C-1", "--reason", "art 18")
    assert restricted.exit_code == 0 and "C-1 is restricted" in restricted.stdout
    after = run("customers", "--json")
    assert [json.loads(line)["customer"] for line in after.stdout.splitlines()] == ["C-2"]
    assert "1 restricted customers left out" in after.stderr
    assert "C-1," not in run("export", "rfm", "--as-of", "2024-12-31").stdout
    assert "restricted" in run("consent", "C-1").stderr
    assert run("unrestrict", "C-1").exit_code == 0
    assert "C-1" in run("customers").stdout
    assert run("restrict", "C-1").exit_code == 2  # --reason is required
    assert run("consent", "C-404").exit_code == 1


def test_export_customer_erasure_refusal_and_rotation(run, tmp_path, monkeypatch):
    assert run("keys", "init", str(tmp_path / "one.key")).exit_code == 0
    assert run("keys", "init", str(tmp_path / "two.key")).exit_code == 0
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "one.key"))
    assert run("append", "customer_registered", "--customer", "C-1", "email=ana@example.com").exit_code == 0
    exported = run("export", "customer", "C-1", str(tmp_path / "out"))
    assert exported.exit_code == 0, exported.output
    assert json.loads((tmp_path / "out" / "events.json").read_text())[0]["data"]["email"] == "ana@example.com"
    assert run("export", "customer", "C-1", str(tmp_path / "out")).exit_code == 2  # not an empty directory
    rotated = run("keys", "rotate-master", "--new-key-file", str(tmp_path / "two.key"))
    assert rotated.exit_code == 0 and "rewrapped 1 data keys" in rotated.stderr
    assert run("timeline", "C-1", "--show-personal").exit_code == 1  # the old key no longer opens
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "two.key"))
    assert "ana@example.com" in run("timeline", "C-1", "--show-personal").stdout
    assert run("erase", "C-1", "--reason", "request").exit_code == 0
    refused = run("append", "consent_granted", "--customer", "C-1", "purpose=profiling", "source=web", "text_version=v1")
    assert refused.exit_code == 1 and "erased: a new consent is refused" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert run("append", "consent_withdrawn", "--customer", "C-1", "purpose=profiling").exit_code == 0
