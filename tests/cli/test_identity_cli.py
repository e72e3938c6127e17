"""The identity commands and customers given as KIND:VALUE, end to end."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main
from ledger.privacy.master_key import KEY_ENV


@pytest.fixture
def run(db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(KEY_ENV, raising=False)
    (tmp_path / "ledger.toml").write_text('[identity]\ndefault_region = "GB"\nkinds = ["shopify"]\n', encoding="utf-8")

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", db_url, *args])

    return invoke


def test_link_whois_and_customers_given_by_identifier(run):
    assert run("append", "contact", "--customer", "C-1", "--at", "2024-05-01", "channel=email").exit_code == 0
    linked = run("link", "C-1", "email:Ann@Example.com", "--at", "2024-05-01")
    assert linked.exit_code == 0 and "at position 2 (stored)" in linked.stdout
    assert run("link", "email:ann@example.com", "phone:01632 960961", "--at", "2024-05-02").exit_code == 0
    held = run("link", "C-2", "email:ann@example.com")
    assert held.exit_code == 1 and "this email is held by customer 'C-1'" in held.stderr
    bought = run("append", "purchase", "--customer", "phone:+441632960961", "order_id=O-1", "amount=5")
    assert bought.exit_code == 0, bought.output
    timeline = run("timeline", "email:ann@example.com", "--json")
    assert [json.loads(line)["type"] for line in timeline.stdout.splitlines()] == [
        "contact",
        "identifier_linked",
        "identifier_linked",
        "purchase",
    ]
    assert json.loads(run("profile", "phone:+441632960961", "--json").stdout)["customer"] == "C-1"
    whois = run("whois", "email:ann@example.com")
    assert whois.exit_code == 0 and whois.stdout.startswith("email held by customer C-1 since 2024-05-01T00:00:00Z")
    nobody = run("timeline", "email:bob@example.com")
    assert nobody.exit_code == 1 and "no customer holds this email" in nobody.stderr


def test_unlink_and_whois_as_of(run):
    assert run("link", "C-1", "shopify:123", "--at", "2024-05-01").exit_code == 0
    assert run("unlink", "C-1", "shopify:123", "--at", "2024-06-01").exit_code == 0
    assert run("link", "C-2", "shopify:123", "--at", "2024-06-02").exit_code == 0
    then = json.loads(run("whois", "shopify:123", "--as-of", "2024-05-31", "--json").stdout)
    assert (then["holder"], [h["customer"] for h in then["holdings"]]) == ("C-1", ["C-1"])
    rows = run("whois", "shopify:123", "--csv").stdout.splitlines()
    assert rows[0] == "customer,since,since_position,until,until_position" and len(rows) == 3


def test_append_and_import_create_or_reject_unknown_identifiers(run, tmp_path):
    refused = run("append", "purchase", "--customer", "email:new@example.com", "order_id=O-1", "amount=5")
    assert refused.exit_code == 1 and "no customer holds this email (use --on-unknown create" in refused.stderr
    line = {
        "type": "purchase",
        "customer": {"email": "new@example.com"},
        "occurred_at": "2024-05-01",
        "data": {"order_id": "O-2", "amount": "5"},
    }
    (tmp_path / "events.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    rejected = run("import", str(tmp_path / "events.jsonl"))
    assert rejected.exit_code == 1 and "events.jsonl:1: customer: no customer holds this email" in rejected.stderr
    created = run("import", str(tmp_path / "events.jsonl"), "--on-unknown", "create")
    assert created.exit_code == 0 and "stored 2, duplicates 0, rejected 0" in created.stderr
    again = run("import", str(tmp_path / "events.jsonl"), "--on-unknown", "create")
    assert "stored 0, duplicates 1, rejected 0" in again.stderr
    assert json.loads(run("whois", "email:new@example.com", "--json").stdout)["holder"].startswith("email-")


def test_bad_identifiers_are_one_clear_line(run):
    nobody = run("link", "C-1", "email:anonymous@example.com")
    assert nobody.exit_code == 1 and "'anonymous@example.com' names nobody and is never linked" in nobody.stderr
    unknown_kind = run("whois", "crm:1")
    assert unknown_kind.exit_code == 1 and "expected KIND:VALUE with a kind of email, phone" in unknown_kind.stderr
    bad_phone = run("link", "C-1", "phone:call me")
    assert bad_phone.exit_code == 1 and "not a phone number (read in region GB): 'call me'" in bad_phone.stderr
